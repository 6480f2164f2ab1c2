using Grpc.Core;
using Lcr.Common.V1;
using Lcr.Identity.Application.Federation;
using Lcr.Identity.Domain.Federation;
using Lcr.Identity.V1;
using Lcr.Security;
using Lcr.ServiceDefaults.DevData;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Lcr.Identity.Tests.Federation;

/// <summary>ExchangeFederatedToken with real ID tokens from the development OpenID Connect provider.</summary>
[Collection(FederationCollection.Name)]
public sealed class FederatedSignInTests(FederationHost host)
{
    // Role profiles of tools/dev-oidc/people.json.
    private const string GpAtBeckettStreet = "953712240002";
    private const string GpLocumAtUnknownPractice = "670991957935";
    private const string ClinicianAtRr8 = "885943094786";
    private const string ClinicianAtRgd = "465122097573";
    private const string SocialWorkerAt00da = "555083727483";
    private const string MentalHealthNurse = "549346115122";

    private IdentityService.IdentityServiceClient Client => host.Client;

    private Task<ExchangeFederatedTokenResponse> ExchangeAsync(string idToken, string roleProfileId) =>
        Client.ExchangeFederatedTokenAsync(new ExchangeFederatedTokenRequest
        {
            SubjectToken = idToken,
            SubjectTokenType = FederationOptions.IdTokenType,
            RoleProfileId = roleProfileId,
        }).ResponseAsync;

    [Fact]
    public async Task A_gp_signed_in_at_the_provider_gets_a_session_that_issues_an_access_token_in_the_chosen_role()
    {
        var idToken = await DevOidcProvider.IdTokenAsync("gp.b86001", FederationHost.GpSystem);
        var session = await ExchangeAsync(idToken, GpAtBeckettStreet);

        Assert.Equal(FederationHost.Provider, session.Provider);
        Assert.Equal("gp.b86001", session.Professional.UserName);
        var role = Assert.Single(session.Professional.RoleAssignments, r => r.Id == session.RoleAssignmentId);
        Assert.Equal("B86001", role.Organisation.OdsCode);

        var patient = SyntheticCohort.Patients.First(p => p.PracticeOds == SyntheticOrganisations.BeckettStreetSurgery).NhsNumber;
        var access = await Client.IssueAccessTokenAsync(new IssueAccessTokenRequest { NhsNumber = patient, Purpose = PurposeOfUse.DirectCare },
            BearerToken.Metadata(session.SessionToken));
        var jwt = new JsonWebToken(access.AccessToken);
        Assert.Equal(session.RoleAssignmentId, jwt.GetPayloadValue<string>(TokenClaims.RoleAssignment));
        Assert.Equal("B86001", jwt.GetPayloadValue<string>(TokenClaims.Organisation));
        Assert.Equal(session.Professional.Id, jwt.Subject);
    }

    [Fact]
    public async Task A_token_issued_to_a_client_the_platform_does_not_accept_is_refused_as_the_wrong_audience()
    {
        var idToken = await DevOidcProvider.IdTokenAsync("gp.b86001", FederationHost.UnregisteredApp);
        var e = await RpcAssert.Fails(StatusCode.Unauthenticated, FederatedTokenValidator.Invalid, () => ExchangeAsync(idToken, GpAtBeckettStreet));
        Assert.Equal("audience", e.Metadata["failed_check"]);
    }

    [Fact]
    public async Task A_token_signed_with_an_algorithm_outside_the_allow_list_is_refused()
    {
        // rgd-care-epr is registered at the provider for ES256 ID tokens; this platform allows RS256 and PS256 only.
        var idToken = await DevOidcProvider.IdTokenAsync("mhnurse.rgd", FederationHost.MentalHealthEpr);
        var e = await RpcAssert.Fails(StatusCode.Unauthenticated, FederatedTokenValidator.Invalid, () => ExchangeAsync(idToken, MentalHealthNurse));
        Assert.Equal("algorithm", e.Metadata["failed_check"]);
    }

    [Fact]
    public async Task A_token_whose_claims_were_altered_after_signing_is_refused()
    {
        var idToken = await DevOidcProvider.IdTokenAsync("ed.rr8", FederationHost.HospitalEpr);
        var parts = idToken.Split('.');
        var payload = Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Decode(parts[1]).Replace("\"B0264\"", "\"B1611\"", StringComparison.Ordinal);
        var tampered = parts[0] + "." + Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(payload) + "." + parts[2];
        var e = await RpcAssert.Fails(StatusCode.Unauthenticated, FederatedTokenValidator.Invalid, () => ExchangeAsync(tampered, "417261605125"));
        Assert.Equal("signature", e.Metadata["failed_check"]);
    }

    [Fact]
    public async Task A_sign_in_below_the_minimum_assurance_level_is_refused()
    {
        var idToken = await DevOidcProvider.IdTokenAsync("gp.b86001", FederationHost.GpSystem, acr: "AAL1_USERPASS");
        var e = await RpcAssert.Fails(StatusCode.Unauthenticated, FederatedTokenValidator.AssuranceTooLow, () => ExchangeAsync(idToken, GpAtBeckettStreet));
        Assert.Equal("3", e.Metadata["minimum_assurance_level"]);
    }

    [Fact]
    public async Task An_expired_id_token_is_refused()
    {
        var idToken = await DevOidcProvider.IdTokenAsync("gp.b86001", FederationHost.GpSystem);
        host.Clock.Offset = TimeSpan.FromHours(2); // the provider's ID tokens live at most an hour
        try
        {
            await RpcAssert.Fails(StatusCode.Unauthenticated, FederatedTokenValidator.Expired, () => ExchangeAsync(idToken, GpAtBeckettStreet));
        }
        finally
        {
            host.Clock.Offset = TimeSpan.Zero;
        }

        await ExchangeAsync(idToken, GpAtBeckettStreet); // the same token, in its lifetime, is accepted
    }

    [Fact]
    public async Task A_session_never_outlives_the_sign_in_at_the_provider_by_more_than_the_maximum()
    {
        var idToken = await DevOidcProvider.IdTokenAsync("ed.rr8", FederationHost.HospitalEpr);
        var authenticatedAt = DateTimeOffset.FromUnixTimeSeconds(new JsonWebToken(idToken).GetPayloadValue<long>("auth_time"));
        var session = await ExchangeAsync(idToken, "417261605125");
        Assert.True(session.ExpireTime.ToDateTimeOffset() <= authenticatedAt.AddMinutes(5));
        Assert.Equal(session.ExpireTime.ToDateTimeOffset(), new JsonWebToken(session.SessionToken).ValidTo);

        // Six minutes later the ID token itself is still valid (10 minutes), but the sign-in is too old for a new session.
        host.Clock.Offset = TimeSpan.FromMinutes(6);
        try
        {
            var e = await RpcAssert.Fails(StatusCode.Unauthenticated, FederatedTokenValidator.AuthenticationTooOld, () => ExchangeAsync(idToken, "417261605125"));
            Assert.Equal("auth_time", e.Metadata["failed_check"]);
        }
        finally
        {
            host.Clock.Offset = TimeSpan.Zero;
        }
    }

    [Fact]
    public async Task A_role_profile_that_is_not_in_the_token_is_refused()
    {
        // clinician.rr8's role profile, asked for with the GP's token.
        var idToken = await DevOidcProvider.IdTokenAsync("gp.b86001", FederationHost.GpSystem);
        await RpcAssert.Fails(StatusCode.PermissionDenied, NationalRoleMap.RoleProfileNotInToken, () => ExchangeAsync(idToken, ClinicianAtRr8));
    }

    [Fact]
    public async Task A_role_profile_at_an_organisation_the_platform_does_not_know_is_refused()
    {
        var idToken = await DevOidcProvider.IdTokenAsync("gp.b86001", FederationHost.GpSystem);
        await RpcAssert.Fails(StatusCode.PermissionDenied, NationalRoleMap.OrganisationNotTrusted, () => ExchangeAsync(idToken, GpLocumAtUnknownPractice));
    }

    [Fact]
    public async Task A_role_profile_at_an_organisation_the_provider_may_not_vouch_for_is_refused()
    {
        // 00DA takes part in the platform, but this platform does not trust the provider for it.
        var idToken = await DevOidcProvider.IdTokenAsync("socialworker.00da", FederationHost.GpSystem);
        await RpcAssert.Fails(StatusCode.PermissionDenied, NationalRoleMap.OrganisationNotTrusted, () => ExchangeAsync(idToken, SocialWorkerAt00da));
    }

    [Fact]
    public async Task A_role_profile_without_a_matching_role_assignment_at_the_platform_is_refused()
    {
        var idToken = await DevOidcProvider.IdTokenAsync("clinician.rr8", FederationHost.HospitalEpr);
        await RpcAssert.Fails(StatusCode.PermissionDenied, NationalRoleMap.NoMatchingRoleAssignment, () => ExchangeAsync(idToken, ClinicianAtRgd));
        await ExchangeAsync(idToken, ClinicianAtRr8); // the role profile he does hold at the platform works
    }

    [Fact]
    public async Task A_person_the_platform_has_not_linked_to_the_subject_is_refused_whatever_their_name()
    {
        // ig.b86001 keeps user name, names and role; only the link to the provider's subject goes.
        var admin = await host.AdminAsync();
        var pro = (await Client.ListProfessionalsAsync(new ListProfessionalsRequest { PageSize = 100 }, admin)).Professionals.Single(p => p.UserName == "ig.b86001");
        await Client.UpdateProfessionalAsync(new UpdateProfessionalRequest
        {
            Professional = new Professional { Id = pro.Id, Etag = pro.Etag, FederatedSubject = "" },
            UpdateMask = new Google.Protobuf.WellKnownTypes.FieldMask { Paths = { "federated_subject" } },
        }, admin);

        var idToken = await DevOidcProvider.IdTokenAsync("ig.b86001", FederationHost.GpSystem);
        await RpcAssert.Fails(StatusCode.Unauthenticated, FederatedSignInService.UnknownSubject, () => ExchangeAsync(idToken, "582351388882"));
    }

    [Fact]
    public async Task A_federated_session_acts_only_in_its_role_and_stops_at_once_when_that_role_ends_at_the_platform()
    {
        var idToken = await DevOidcProvider.IdTokenAsync("clerk.rr8", FederationHost.HospitalEpr);
        var session = await ExchangeAsync(idToken, "991004287153");
        var metadata = BearerToken.Metadata(session.SessionToken);
        var admin = await host.AdminAsync();
        var other = (await Client.CreateRoleAssignmentAsync(new CreateRoleAssignmentRequest
        {
            RoleAssignment = new RoleAssignment
            {
                ProfessionalId = session.Professional.Id, Organisation = new OrganisationReference { OdsCode = "RR8" }, RoleCode = "R8010",
            },
        }, admin)).RoleAssignment;
        var patient = IdentityHost.Patient(3);

        // Another role he now holds is not this session's to use.
        await RpcAssert.InvalidFields(() => Client.IssueAccessTokenAsync(new IssueAccessTokenRequest
        {
            NhsNumber = patient, Purpose = PurposeOfUse.DirectCare, RoleAssignmentId = other.Id,
        }, metadata).ResponseAsync, "role_assignment_id");

        await Client.EndRoleAssignmentAsync(new EndRoleAssignmentRequest { RoleAssignmentId = session.RoleAssignmentId }, admin);
        await RpcAssert.Fails(StatusCode.PermissionDenied, "NO_ACTIVE_ROLE", () => Client.IssueAccessTokenAsync(
            new IssueAccessTokenRequest { NhsNumber = patient, Purpose = PurposeOfUse.DirectCare }, metadata).ResponseAsync);
        await RpcAssert.Fails(StatusCode.PermissionDenied, NationalRoleMap.NoMatchingRoleAssignment, () => ExchangeAsync(idToken, "991004287153"));
    }

    [Fact]
    public async Task Password_sign_in_is_refused_when_switched_off_even_with_the_right_password()
    {
        await RpcAssert.Fails(StatusCode.FailedPrecondition, "PASSWORD_SIGN_IN_DISABLED", () => host.SignInAsync("gp.b86001"));
    }

    [Fact]
    public async Task Missing_fields_are_named_without_echoing_the_token()
    {
        await RpcAssert.InvalidFields(() => Client.ExchangeFederatedTokenAsync(new ExchangeFederatedTokenRequest
        {
            SubjectToken = "not-a-token-4711",
            SubjectTokenType = "urn:ietf:params:oauth:token-type:access_token",
        }).ResponseAsync, "subject_token_type", "role_profile_id");
        await RpcAssert.InvalidFields(() => Client.ExchangeFederatedTokenAsync(new ExchangeFederatedTokenRequest()).ResponseAsync,
            "subject_token", "subject_token_type", "role_profile_id");

        var bad = await RpcAssert.Fails(StatusCode.Unauthenticated, FederatedTokenValidator.Invalid, () => ExchangeAsync("not-a-token-4711", GpAtBeckettStreet));
        Assert.Equal("format", bad.Metadata["failed_check"]);
        Assert.DoesNotContain(host.Logs.Lines, l => l.Contains("not-a-token-4711", StringComparison.Ordinal));
    }
}
