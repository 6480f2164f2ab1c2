using Grpc.Core;
using Lcr.Identity.Application.Federation;
using Lcr.Identity.Domain.Federation;
using Lcr.Identity.Persistence;
using Lcr.Identity.V1;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Lcr.Identity.Tests.Federation;

/// <summary>
/// Every ExchangeFederatedToken outcome is in identity's tamper-evident record (federated_sign_in_events)
/// with its reason, with real tokens from the development provider. Wrong issuer: FederationLifecycleTests;
/// unknown key and provider not trusted for the organisation: TwoProviderTests.
/// </summary>
[Collection(FederationCollection.Name)]
public sealed class FederatedSignInAuditTests(FederationHost host)
{
    private const string GpAtBeckettStreet = "953712240002";
    private const string GpLocumAtUnknownPractice = "670991957935";
    private const string ClinicianAtRr8 = "885943094786";
    private const string ClinicianAtRgd = "465122097573";
    private const string SocialWorkerAt00da = "555083727483";
    private const string MentalHealthNurse = "549346115122";

    private Task<ExchangeFederatedTokenResponse> ExchangeAsync(string idToken, string roleProfileId) =>
        host.Client.ExchangeFederatedTokenAsync(new ExchangeFederatedTokenRequest
        {
            SubjectToken = idToken,
            SubjectTokenType = FederationOptions.IdTokenType,
            RoleProfileId = roleProfileId,
        }).ResponseAsync;

    private static string Subject(string idToken) => new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(idToken).Subject;

    [Fact]
    public async Task A_sign_in_is_recorded_with_the_provider_subject_role_assignment_and_session()
    {
        var idToken = await DevOidcProvider.IdTokenAsync("gp.b86001", FederationHost.GpSystem);
        var session = await ExchangeAsync(idToken, GpAtBeckettStreet);

        var e = await SignInEvents.LastAsync(host);
        Assert.Equal(FederatedSignInLog.SignedIn, e.Outcome);
        Assert.Equal(FederationHost.Provider, e.Provider);
        Assert.Equal(Subject(idToken), e.Subject);
        Assert.Equal(session.Professional.Id, e.ProfessionalId.ToString());
        Assert.Equal(session.RoleAssignmentId, e.RoleAssignmentId.ToString());
        Assert.Equal(new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(session.SessionToken).Id, e.SessionId);
        Assert.Null(await SignInEvents.FirstBreakAsync(host));
    }

    [Fact]
    public async Task Token_refusals_are_recorded_with_their_reason_and_check_and_no_subject()
    {
        var wrongAudience = await DevOidcProvider.IdTokenAsync("gp.b86001", FederationHost.UnregisteredApp);
        await RpcAssert.Fails(StatusCode.Unauthenticated, () => ExchangeAsync(wrongAudience, GpAtBeckettStreet));
        var e = await SignInEvents.AssertRefusedAsync(host, FederationHost.Provider, FederatedTokenValidator.Invalid, "audience");
        Assert.Null(e.Subject);

        var es256 = await DevOidcProvider.IdTokenAsync("mhnurse.rgd", FederationHost.MentalHealthEpr);
        await RpcAssert.Fails(StatusCode.Unauthenticated, () => ExchangeAsync(es256, MentalHealthNurse));
        await SignInEvents.AssertRefusedAsync(host, FederationHost.Provider, FederatedTokenValidator.Invalid, "algorithm");

        var weak = await DevOidcProvider.IdTokenAsync("gp.b86001", FederationHost.GpSystem, acr: "AAL1_USERPASS");
        await RpcAssert.Fails(StatusCode.Unauthenticated, () => ExchangeAsync(weak, GpAtBeckettStreet));
        await SignInEvents.AssertRefusedAsync(host, FederationHost.Provider, FederatedTokenValidator.AssuranceTooLow, "assurance");

        await RpcAssert.Fails(StatusCode.Unauthenticated, () => ExchangeAsync("not-a-token-4711", GpAtBeckettStreet));
        await SignInEvents.AssertRefusedAsync(host, "unknown", FederatedTokenValidator.Invalid, "format");

        var idToken = await DevOidcProvider.IdTokenAsync("gp.b86001", FederationHost.GpSystem);
        host.Clock.Offset = TimeSpan.FromHours(2);
        try
        {
            await RpcAssert.Fails(StatusCode.Unauthenticated, () => ExchangeAsync(idToken, GpAtBeckettStreet));
        }
        finally
        {
            host.Clock.Offset = TimeSpan.Zero;
        }

        await SignInEvents.AssertRefusedAsync(host, FederationHost.Provider, FederatedTokenValidator.Expired, "expiry");
        Assert.Null(await SignInEvents.FirstBreakAsync(host));
    }

    [Fact]
    public async Task Role_profile_refusals_are_recorded_with_the_verified_subject_and_the_professional()
    {
        var gp = await DevOidcProvider.IdTokenAsync("gp.b86001", FederationHost.GpSystem);
        await RpcAssert.Fails(StatusCode.PermissionDenied, () => ExchangeAsync(gp, ClinicianAtRr8));
        var e = await SignInEvents.AssertRefusedAsync(host, FederationHost.Provider, NationalRoleMap.RoleProfileNotInToken);
        Assert.Equal(Subject(gp), e.Subject);
        Assert.NotNull(e.ProfessionalId);
        Assert.Equal(ClinicianAtRr8, e.RoleProfileId);

        await RpcAssert.Fails(StatusCode.PermissionDenied, () => ExchangeAsync(gp, GpLocumAtUnknownPractice));
        await SignInEvents.AssertRefusedAsync(host, FederationHost.Provider, NationalRoleMap.OrganisationNotTrusted);

        var socialWorker = await DevOidcProvider.IdTokenAsync("socialworker.00da", FederationHost.GpSystem);
        await RpcAssert.Fails(StatusCode.PermissionDenied, () => ExchangeAsync(socialWorker, SocialWorkerAt00da));
        await SignInEvents.AssertRefusedAsync(host, FederationHost.Provider, NationalRoleMap.OrganisationNotTrusted);

        var clinician = await DevOidcProvider.IdTokenAsync("clinician.rr8", FederationHost.HospitalEpr);
        await RpcAssert.Fails(StatusCode.PermissionDenied, () => ExchangeAsync(clinician, ClinicianAtRgd));
        await SignInEvents.AssertRefusedAsync(host, FederationHost.Provider, NationalRoleMap.NoMatchingRoleAssignment);
        Assert.Null(await SignInEvents.FirstBreakAsync(host));
    }

    [Fact]
    public async Task The_record_cannot_be_changed_or_deleted_in_the_database()
    {
        await ExchangeAsync(await DevOidcProvider.IdTokenAsync("ed.rr8", FederationHost.HospitalEpr), "417261605125");
        using var scope = host.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<IdentityDbContext>();
        await Assert.ThrowsAsync<PostgresException>(() => db.Database.ExecuteSqlRawAsync("UPDATE federated_sign_in_events SET outcome = 'SIGNED_IN'"));
        await Assert.ThrowsAsync<PostgresException>(() => db.Database.ExecuteSqlRawAsync("DELETE FROM federated_sign_in_events"));
        await Assert.ThrowsAsync<PostgresException>(() => db.Database.ExecuteSqlRawAsync("TRUNCATE federated_sign_in_events"));
    }
}
