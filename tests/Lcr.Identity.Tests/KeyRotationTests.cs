using System.Security.Cryptography;
using Lcr.Common.V1;
using Lcr.Identity.V1;
using Lcr.Security;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Lcr.Identity.Tests;

/// <summary>Key rotation, on a host of its own so rotating does not disturb other tests' expectations.</summary>
public sealed class KeyRotationTests(KeyRotationTests.Host host) : IClassFixture<KeyRotationTests.Host>
{
    public sealed class Host : IdentityHost;

    private IdentityService.IdentityServiceClient Client => host.Client;

    private static IssueAccessTokenRequest DirectCare() => new() { NhsNumber = IdentityHost.Patient(0), Purpose = PurposeOfUse.DirectCare };

    [Fact]
    public async Task Rotation_keeps_old_tokens_valid_until_expiry_and_signs_new_ones_with_the_new_key()
    {
        var session = await host.SessionAsync("gp.b86001");
        var (gateway, cache) = host.GatewayVerifier();
        var before = await Client.IssueAccessTokenAsync(DirectCare(), session);
        var oldToken = await gateway.VerifyAsync(before.AccessToken); // the gateway has cached the old key set
        Assert.Equal(1, cache.FetchCount);

        var rotator = await host.AdminAsync();
        var requestId = Guid.NewGuid().ToString();
        var rotated = await Client.RotateSigningKeyAsync(new RotateSigningKeyRequest { RequestId = requestId }, rotator);
        Assert.Equal(oldToken.KeyId, rotated.PreviousKid);
        Assert.NotEqual(oldToken.KeyId, rotated.CurrentKey.Kid);

        // A retry with the same request id does not rotate again.
        var retried = await Client.RotateSigningKeyAsync(new RotateSigningKeyRequest { RequestId = requestId }, rotator);
        Assert.Equal(rotated.CurrentKey.Kid, retried.CurrentKey.Kid);
        Assert.Equal(rotated.PreviousKid, retried.PreviousKid);

        // The old session (signed by the old key) still works, and new tokens use the new key.
        var after = await Client.IssueAccessTokenAsync(DirectCare(), session);
        Assert.Equal(rotated.CurrentKey.Kid, new JsonWebToken(after.AccessToken).Kid);

        // The new key was published ahead of use: the gateway verifies new and old tokens
        // from the key set it cached before the rotation, without asking identity again.
        Assert.Equal(rotated.CurrentKey.Kid, (await gateway.VerifyAsync(after.AccessToken)).KeyId);
        Assert.Equal(oldToken.KeyId, (await gateway.VerifyAsync(before.AccessToken)).KeyId);
        Assert.Equal(1, cache.FetchCount);

        // The old key stays published, retired, until after everything it signed has expired.
        var keys = await Client.ListSigningKeysAsync(new ListSigningKeysRequest());
        Assert.Equal(rotated.CurrentKey.Kid, keys.Keys[0].Kid);
        Assert.Equal(SigningKeyStatus.Current, keys.Keys[0].Status);
        Assert.Equal(SigningKeyStatus.Next, keys.Keys[1].Status);
        var retired = Assert.Single(keys.Keys, k => k.Kid == oldToken.KeyId);
        Assert.Equal(SigningKeyStatus.Retired, retired.Status);
        Assert.True(retired.NotAfter.ToDateTimeOffset() >= oldToken.ExpiresAt);
        var sessionExpiry = (await host.SignInAsync("gp.b86001")).Response.ExpireTime.ToDateTimeOffset();
        Assert.True(retired.NotAfter.ToDateTimeOffset() >= sessionExpiry); // even the longest-lived (session) tokens
        Assert.True(keys.CacheMaxAgeSeconds > 0);
    }

    [Fact]
    public async Task Private_keys_are_encrypted_at_rest_and_wiped_when_retired()
    {
        await Client.ListSigningKeysAsync(new ListSigningKeysRequest()); // ensures a key exists
        await Client.RotateSigningKeyAsync(new RotateSigningKeyRequest { RequestId = Guid.NewGuid().ToString() }, await host.AdminAsync());

        var current = (byte[])(await host.Database.ScalarAsync("select private_key_encrypted from signing_keys where is_current"))!;
        Assert.ThrowsAny<CryptographicException>(() => ECDsa.Create().ImportPkcs8PrivateKey(current, out _));
        Assert.ThrowsAny<CryptographicException>(() => ECDsa.Create().ImportECPrivateKey(current, out _));
        Assert.Equal(0L, await host.Database.ScalarAsync("select count(*) from signing_keys where not is_current and not is_next and private_key_encrypted is not null"));
        Assert.Equal(1L, await host.Database.ScalarAsync("select count(*) from signing_keys where is_current"));
    }

    [Fact]
    public async Task Published_keys_are_public_p256_only()
    {
        var keys = await Client.ListSigningKeysAsync(new ListSigningKeysRequest());
        Assert.NotEmpty(keys.Keys);
        Assert.All(keys.Keys, k =>
        {
            Assert.Equal(("EC", "P-256", "ES256", "sig"), (k.Kty, k.Crv, k.Alg, k.Use));
            Assert.NotNull(SigningKeyMaterial.PublicKey(k.X, k.Y));
        });
    }
}
