using Grpc.Core;
using Lcr.Common.V1;
using Lcr.Identity.Domain;
using Lcr.Identity.Domain.Federation;
using Lcr.Identity.V1;
using Lcr.Security;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Lcr.Identity.Tests.Federation;

/// <summary>B1611 and B0082 of the chosen role profile, recorded on the session and carried into access tokens.</summary>
[Collection(FederationCollection.Name)]
public sealed class FederatedActivityTests(FederationHost host)
{
    private Task<ExchangeFederatedTokenResponse> ExchangeAsync(string idToken, string roleProfileId) =>
        host.Client.ExchangeFederatedTokenAsync(new ExchangeFederatedTokenRequest
        {
            SubjectToken = idToken,
            SubjectTokenType = FederationOptions.IdTokenType,
            RoleProfileId = roleProfileId,
        }).ResponseAsync;

    [Fact]
    public async Task The_session_records_its_role_profiles_activities_and_a_profile_without_B1611_gets_access_tokens_that_withhold_sensitive_entries()
    {
        // clinician.rr8 at RR8: B0264 and B1611.
        var clinician = await ExchangeAsync(await DevOidcProvider.IdTokenAsync("clinician.rr8", FederationHost.HospitalEpr), "885943094786");
        Assert.Equal(["B0264", "B1611"], new JsonWebToken(clinician.SessionToken).GetPayloadValue<string[]>(SessionClaims.Activities));
        var patient = IdentityHost.Patient(0);
        var withSensitive = await host.Client.IssueAccessTokenAsync(new IssueAccessTokenRequest { NhsNumber = patient, Purpose = PurposeOfUse.DirectCare },
            BearerToken.Metadata(clinician.SessionToken));
        Assert.False(new JsonWebToken(withSensitive.AccessToken).TryGetPayloadValue<bool>(TokenClaims.SensitiveRecordsWithheld, out _));

        // ed.rr8 at RR8: B0264 only. His access token says so, and the gateway's verifier reads it.
        var ed = await ExchangeAsync(await DevOidcProvider.IdTokenAsync("ed.rr8", FederationHost.HospitalEpr), "417261605125");
        var relationship = await host.RecordAsync(await host.SystemAsync("rr8-ppm-feed"), patient, CareRelationshipKind.InpatientEpisode,
            r => r.ProfessionalId = ed.Professional.Id);
        Assert.NotNull(relationship);
        var without = await host.Client.IssueAccessTokenAsync(new IssueAccessTokenRequest { NhsNumber = patient, Purpose = PurposeOfUse.DirectCare },
            BearerToken.Metadata(ed.SessionToken));
        Assert.True(new JsonWebToken(without.AccessToken).GetPayloadValue<bool>(TokenClaims.SensitiveRecordsWithheld));
        var (verifier, _) = host.GatewayVerifier();
        Assert.True((await verifier.VerifyAsync(without.AccessToken)).SensitiveRecordsWithheld);
        Assert.False((await verifier.VerifyAsync(withSensitive.AccessToken)).SensitiveRecordsWithheld);
    }

    [Fact]
    public async Task A_federated_session_whose_role_profile_lacks_B0082_may_not_break_glass_though_its_platform_role_may()
    {
        var ed = await ExchangeAsync(await DevOidcProvider.IdTokenAsync("ed.rr8", FederationHost.HospitalEpr), "417261605125");
        var e = await RpcAssert.Fails(StatusCode.PermissionDenied, "EMERGENCY_ACCESS_NOT_PERMITTED", () => host.Client.IssueEmergencyAccessTokenAsync(
            new IssueEmergencyAccessTokenRequest
            {
                NhsNumber = IdentityHost.Patient(6), ReasonCode = EmergencyAccessReason.ClinicalEmergency, ReasonText = "Unconscious in the emergency department",
            }, BearerToken.Metadata(ed.SessionToken)).ResponseAsync);
        Assert.Equal(NationalRoleMap.OverridePatientConsent, e.Metadata["required_activity"]);
    }
}
