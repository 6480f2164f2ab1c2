using Grpc.Core;
using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Lcr.Gateway.V1;
using Lcr.Identity.V1;
using Lcr.Testing;
using static Lcr.Gateway.Tests.Callers;
using Scenario = Lcr.ServiceDefaults.DevData.SyntheticOrganisations.Scenario;

namespace Lcr.Gateway.Tests;

/// <summary>
/// National RBAC activities at the front door: B1611 ("access sensitive records") and B0082
/// ("override patient consent") of the role profile a GP signed in with at the provider.
/// gp.b86001's profile at B86001 carries B0264 and B0082, not B1611.
/// </summary>
[Collection(PlatformCollection.Name)]
public class FederatedActivitiesGatewayTests(PlatformFixture platform)
{
    private Grpc.Net.Client.GrpcChannel Gateway => platform.Gateway.Channel;

    private async Task<string> FederatedGpSessionAsync() =>
        (await IdentityClient(Gateway).ExchangeFederatedTokenAsync(new ExchangeFederatedTokenRequest
        {
            SubjectToken = await DevOidcProvider.IdTokenAsync("gp.b86001", "b86001-gp-system"),
            SubjectTokenType = "urn:ietf:params:oauth:token-type:id_token",
            RoleProfileId = "953712240002",
        })).SessionToken;

    private static IEnumerable<Entry> Entries(GetPatientRecordResponse r) =>
        r.ActiveProblems.Concat(r.CurrentMedications).Concat(r.Allergies).Concat(r.LatestResults).Concat(r.RecentDocuments);

    [Fact]
    public async Task A_role_profile_without_B1611_sees_no_sensitive_entries_even_where_the_patient_released_them()
    {
        var nhs = Nhs(Scenario.ReleasesSensitive);

        // The same GP with a password session (development only): the patient's release shows the sensitive entries.
        var password = await AccessAsync(Gateway, "gp.b86001", nhs);
        var released = await RecordsClient(Gateway).GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = nhs }, Bearer(password.AccessToken));
        Assert.Contains(Entries(released), e => e.Sensitivity == Sensitivity.Sensitive);

        var access = await IdentityClient(Gateway).IssueAccessTokenAsync(new IssueAccessTokenRequest { NhsNumber = nhs, Purpose = PurposeOfUse.DirectCare },
            Bearer(await FederatedGpSessionAsync()));
        var record = await RecordsClient(Gateway).GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = nhs }, Bearer(access.AccessToken));
        Assert.NotEmpty(Entries(record));
        Assert.DoesNotContain(Entries(record), e => e.Sensitivity == Sensitivity.Sensitive);
        Assert.False(record.PatientRestrictionsApply && !released.PatientRestrictionsApply); // withholding them does not announce that they exist

        // Nor one by one: a sensitive entry's id answers NOT_FOUND, like an absent one.
        var sensitive = Entries(released).First(e => e.Sensitivity == Sensitivity.Sensitive);
        await RpcAssert.Fails(StatusCode.NotFound, async () => await RecordsClient(Gateway).GetRecordEntryAsync(
            new GetRecordEntryRequest { NhsNumber = nhs, EntryId = sensitive.Id }, Bearer(access.AccessToken)));
    }

    [Fact]
    public async Task A_role_profile_with_B0082_breaks_glass_but_an_opt_out_still_holds()
    {
        var session = await FederatedGpSessionAsync();
        var nhs = Nhs(Scenario.OptedOut);
        var glass = await IdentityClient(Gateway).IssueEmergencyAccessTokenAsync(new IssueEmergencyAccessTokenRequest
        {
            NhsNumber = nhs, ReasonCode = EmergencyAccessReason.ClinicalEmergency, ReasonText = "Collapsed in the surgery waiting room",
        }, Bearer(session));
        var e = await RpcAssert.Fails(StatusCode.PermissionDenied, async () => await RecordsClient(Gateway).GetPatientRecordAsync(
            new GetPatientRecordRequest { NhsNumber = nhs }, Bearer(glass.AccessToken)));
        Assert.Equal("PATIENT_OPTED_OUT", Reason(e));

        // The same break-glass works where there is no opt-out.
        var other = Nhs(12);
        var ok = await IdentityClient(Gateway).IssueEmergencyAccessTokenAsync(new IssueEmergencyAccessTokenRequest
        {
            NhsNumber = other, ReasonCode = EmergencyAccessReason.ClinicalEmergency, ReasonText = "Collapsed in the surgery waiting room",
        }, Bearer(session));
        Assert.True((await RecordsClient(Gateway).GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = other }, Bearer(ok.AccessToken))).EmergencyAccess);
    }
}
