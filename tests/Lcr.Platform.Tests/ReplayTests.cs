using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Lcr.Common.V1;
using Lcr.Identity.V1;
using Lcr.Security;
using Lcr.ServiceDefaults.DevData;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Lcr.Platform.Tests;

/// <summary>
/// Replayed tokens through the real gateway process: the identity process issues access tokens
/// that live <see cref="AccessLifetime"/> (configured as an operator would,
/// <c>Identity__Tokens__AccessLifetime</c>) and the gateway allows no clock skew
/// (<c>Tokens__ClockSkew</c>), so expiry is seen within seconds instead of the production ten
/// minutes. Serialised with <see cref="SmokeTests"/> (one shared-infrastructure platform at a time).
/// </summary>
[Collection(nameof(SmokeTests))]
public sealed class ReplayTests
{
    private static readonly TimeSpan AccessLifetime = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_token_is_refused_after_expiry_an_ended_relationship_gives_no_new_token_and_old_ones_lapse_and_a_key_rotation_keeps_issued_tokens_valid()
    {
        await using var platform = await RealPlatform.StartAsync(new RealPlatformOptions
        {
            ExtraEnvironment = new Dictionary<string, string>
            {
                ["Identity__Tokens__AccessLifetime"] = AccessLifetime.ToString("c"),
                ["Identity__Tokens__EmergencyAccessLifetime"] = AccessLifetime.ToString("c"),
                ["Tokens__ClockSkew"] = "00:00:00",
            },
        });
        using var client = new PlatformClient(platform.GatewayAddress);

        // Warm the read path first (a fresh platform's first calls pay JIT and connection set-up),
        // so the short-lived tokens below are used well inside their lifetime.
        var gp = await client.SignInAsync("gp.b86001", platform.SeedPassword);
        var example = SyntheticCohort.Patients[0].NhsNumber;
        await PlatformClient.WarmAsync(async () => await client.ReadAsync(example, await client.AccessAsync(gp, example)));

        // A patient the ward 12 team has no relationship with, admitted to ward 12 by the hospital's feed.
        var nhs = SyntheticCohort.Patients[20].NhsNumber;
        var feed = await SystemAsync(client, platform, "rr8-ppm-feed", "relationships.write");
        var session = await client.SignInAsync("clinician.rr8", platform.SeedPassword);
        await Refused(StatusCode.PermissionDenied, () => client.AccessAsync(session, nhs));
        var admission = (await client.Identity.RecordCareRelationshipAsync(new RecordCareRelationshipRequest
        {
            CareRelationship = new CareRelationship
            {
                NhsNumber = nhs,
                Kind = CareRelationshipKind.InpatientEpisode,
                TeamId = "RR8:WARD-12",
                StartTime = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddHours(-1)),
                Source = new Provenance { SourceEntryId = "replay-" + Guid.NewGuid().ToString("N"), SourceSystem = "PPM+" },
            },
        }, feed, DateTime.UtcNow + PlatformClient.Deadline)).CareRelationship;

        var token = await client.AccessAsync(session, nhs);
        var expires = ExpiryOf(token);
        Assert.InRange(expires - DateTimeOffset.UtcNow, TimeSpan.Zero, AccessLifetime + TimeSpan.FromSeconds(2));
        Assert.Equal(nhs, (await client.ReadAsync(nhs, token)).Patient.NhsNumber);

        // Discharged: no new token from now on; the one already issued is a signed statement that
        // stays valid until it expires (verification is local, no call to identity per read).
        await client.Identity.EndCareRelationshipAsync(new EndCareRelationshipRequest { CareRelationshipId = admission.Id }, feed,
            DateTime.UtcNow + PlatformClient.Deadline);
        var refusal = await Refused(StatusCode.PermissionDenied, () => client.AccessAsync(session, nhs));
        Assert.DoesNotContain(nhs, refusal.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(nhs, (await client.ReadAsync(nhs, token)).Patient.NhsNumber);

        // A rotation of the signing key meanwhile: a token signed with the retired key still
        // verifies (the key stays published until every token it signed has expired), and
        // tokens signed with the new key verify at once.
        var beforeRotation = await client.AccessAsync(gp, example);
        var admin = await SystemAsync(client, platform, "platform-admin", "identity.keys.rotate");
        var rotated = await client.Identity.RotateSigningKeyAsync(new RotateSigningKeyRequest { RequestId = Guid.NewGuid().ToString() }, admin,
            DateTime.UtcNow + PlatformClient.Deadline);
        Assert.Equal(KeyIdOf(beforeRotation), rotated.PreviousKid);
        var afterRotation = await client.AccessAsync(await client.SignInAsync("gp.b86001", platform.SeedPassword), example);
        Assert.Equal(rotated.CurrentKey.Kid, KeyIdOf(afterRotation));
        Assert.NotEqual(KeyIdOf(beforeRotation), KeyIdOf(afterRotation));
        Assert.Equal(example, (await client.ReadAsync(example, beforeRotation)).Patient.NhsNumber);
        Assert.Equal(example, (await client.ReadAsync(example, afterRotation)).Patient.NhsNumber);

        // Replayed after its expiry: refused, and says why; so is the token from before the rotation.
        var latest = new[] { expires, ExpiryOf(beforeRotation) }.Max();
        while (DateTimeOffset.UtcNow <= latest + TimeSpan.FromSeconds(1))
        {
            await Task.Delay(TimeSpan.FromMilliseconds(250));
        }

        foreach (var (patient, replayed) in new[] { (nhs, token), (example, beforeRotation) })
        {
            var e = await Refused(StatusCode.Unauthenticated, () => client.ReadAsync(patient, replayed));
            Assert.Equal("TOKEN_EXPIRED", Reason(e));
        }

        SmokeTests.AssertNoPatientDataIn(platform);
    }

    private static async Task<Metadata> SystemAsync(PlatformClient client, RealPlatform platform, string clientId, params string[] scopes) =>
        BearerToken.Metadata((await PlatformClient.WarmAsync(() => client.Identity.IssueSystemTokenAsync(new IssueSystemTokenRequest
        {
            ClientId = clientId, ClientSecret = platform.SeedClientSecret, Scopes = { scopes },
        }, deadline: DateTime.UtcNow + PlatformClient.Deadline).ResponseAsync)).SystemToken);

    private static JsonWebToken Jwt(Metadata bearer) => new(BearerToken.From(bearer)!);

    private static DateTimeOffset ExpiryOf(Metadata bearer) => new(Jwt(bearer).ValidTo, TimeSpan.Zero);

    private static string KeyIdOf(Metadata bearer) => Jwt(bearer).Kid;

    private static string? Reason(RpcException e) => e.GetRpcStatus()?.GetDetail<Google.Rpc.ErrorInfo>()?.Reason;

    private static async Task<RpcException> Refused(StatusCode expected, Func<Task> call)
    {
        var e = await Assert.ThrowsAsync<RpcException>(call);
        Assert.True(e.StatusCode == expected, $"expected {expected}, got {e.StatusCode} ({e.Status.Detail})");
        return e;
    }
}
