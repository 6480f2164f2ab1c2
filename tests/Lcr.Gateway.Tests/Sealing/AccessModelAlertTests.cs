using Grpc.Core;
using Grpc.Net.Client;
using Lcr.Audit.V1;
using Lcr.Common.V1;
using Lcr.Gateway.Downstream;
using Lcr.Gateway.Records;
using Lcr.Gateway.V1;
using Lcr.Identity.V1;
using Lcr.ServiceDefaults.DevData;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using static Lcr.Gateway.Tests.Callers;
using static Lcr.Gateway.Tests.Sealing.SealScenario;

namespace Lcr.Gateway.Tests.Sealing;

/// <summary>
/// The access model across its parts, end to end through the gateway on the real services: what
/// a self-claim, a break-glass into a sealed record, a named viewer's look at one and a view surge
/// raise, to whose privacy officer (and nobody else's), and what the patient's access log says of
/// each look.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class AccessModelAlertTests(PlatformFixture platform) : IAsyncLifetime
{
    private const int SurgeLimit = 2;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private GatewayHost _gateway = null!;

    private GrpcChannel Gateway => _gateway.Channel;

    private AuditService.AuditServiceClient Audit => new(Gateway);

    public Task InitializeAsync()
    {
        _gateway = platform.CreateGateway(s => s.Configure<ViewSurgeOptions>(o => o.DistinctViewers = SurgeLimit));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    private async Task<List<PrivacyReviewCase>> AlertsAsync(Metadata caller, string nhs, PrivacyRule rule) =>
        (await Audit.ListPrivacyReviewCasesAsync(new ListPrivacyReviewCasesRequest { NhsNumber = nhs, Rules = { rule }, PageSize = 200 }, caller))
        .Cases.ToList();

    private async Task<Metadata> OfficerAsync(string userName) => Bearer(await SessionAsync(Gateway, userName));

    [Fact]
    public async Task A_self_claim_alerts_the_claimants_privacy_officer_only_and_the_patient_reads_why_in_words()
    {
        var (nhs, _) = await RegisterPatientAsync(Gateway);
        var doctor = await NewProfessionalAsync(Gateway, SyntheticOrganisations.TeachingHospitals);
        var session = Bearer(await SessionAsync(Gateway, doctor.UserName));

        // No feed relationship at the hospital: refused, then claimed, then read.
        var refused = await RpcAssert.Fails(StatusCode.PermissionDenied, async () => await IdentityClient(Gateway).IssueAccessTokenAsync(
            new IssueAccessTokenRequest { NhsNumber = nhs, Purpose = PurposeOfUse.DirectCare }, session));
        Assert.Equal("NO_CARE_RELATIONSHIP", Reason(refused));
        var claim = await IdentityClient(Gateway).ClaimCareRelationshipAsync(
            new ClaimCareRelationshipRequest { NhsNumber = nhs, ReasonCode = SelfClaimReason.PatientPresented }, session);
        var token = await IdentityClient(Gateway).IssueAccessTokenAsync(
            new IssueAccessTokenRequest { NhsNumber = nhs, Purpose = PurposeOfUse.DirectCare }, session);
        Assert.Equal(CareRelationshipKind.SelfClaimed, token.CareRelationshipKind);
        Assert.Equal(claim.CareRelationship.Id, token.CareRelationshipId);
        await RecordsClient(Gateway).GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = nhs }, Bearer(token.AccessToken));

        // One alert, at once, to the hospital's privacy officer; the practice's privacy officer sees nothing of it.
        var alert = Assert.Single(await AlertsAsync(await OfficerAsync("privacy.rr8"), nhs, PrivacyRule.SelfClaimedRelationship));
        Assert.Equal(SyntheticOrganisations.TeachingHospitals, alert.Organisation.OdsCode);
        Assert.Equal(PrivacyAlertOrigin.RaisedAtAccess, alert.Origin);
        Assert.Equal(doctor.Id, alert.Actor.Id);
        Assert.Contains(alert.Events, e => e.Action == AuditAction.SelfClaimedRelationship &&
            e.SelfClaim.CareRelationshipId == claim.CareRelationship.Id);
        Assert.Empty(await AlertsAsync(await OfficerAsync("privacy.b86001"), nhs, PrivacyRule.SelfClaimedRelationship));

        // The patient's log names the look, why in words, and not the claim itself (not a look).
        var sar = await AccessAsync(Gateway, "ig.b86001", nhs, PurposeOfUse.SubjectAccessRequest);
        var log = await RecordsClient(Gateway).GetAccessLogAsync(new GetAccessLogRequest { NhsNumber = nhs, PageSize = 200 }, Bearer(sar.AccessToken));
        var look = Assert.Single(log.Entries, e => e.Action == AuditAction.ViewSummary && e.Organisation.OdsCode == SyntheticOrganisations.TeachingHospitals);
        Assert.Equal(PurposeOfUse.DirectCare, look.Purpose);
        Assert.Equal(SelfClaimReason.PatientPresented, look.SelfClaimReason);
        Assert.Equal("direct care: care the professional recorded themselves - you came to see them", look.AccessReason);
        Assert.DoesNotContain(log.Entries, e => e.Action == AuditAction.SelfClaimedRelationship);
    }

    [Fact]
    public async Task Breaking_the_glass_into_a_sealed_record_alerts_at_once_and_a_named_viewers_look_alerts_their_own_organisation()
    {
        var (nhs, _) = await RegisterPatientAsync(Gateway);
        var named = await NewProfessionalAsync(Gateway);
        await SealAsync(Gateway, nhs, [named.Id]);
        var ed = await NewProfessionalAsync(Gateway, SyntheticOrganisations.TeachingHospitals);

        var glass = await EmergencyAsync(Gateway, ed.UserName, nhs, Justification);
        await RecordsClient(Gateway).GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = nhs }, Bearer(glass));
        var namedToken = (await AccessAsync(Gateway, named.UserName, nhs)).AccessToken;
        await RecordsClient(Gateway).GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = nhs }, Bearer(namedToken));

        // The hospital's privacy officer has the break-glass, high, with the justification; not a plain emergency alert beside it.
        var hospital = await OfficerAsync("privacy.rr8");
        var broke = Assert.Single(await AlertsAsync(hospital, nhs, PrivacyRule.SealedRecordEmergencyAccess));
        Assert.Equal(PrivacySeverity.High, broke.Severity);
        Assert.Equal(SyntheticOrganisations.TeachingHospitals, broke.Organisation.OdsCode);
        Assert.Contains(broke.Events, e => e.AccessTokenId == new JsonWebToken(glass).Id && e.SealedRecord.BreakGlassJustification == Justification);
        Assert.Empty(await AlertsAsync(hospital, nhs, PrivacyRule.EmergencyAccess));
        Assert.Empty(await AlertsAsync(hospital, nhs, PrivacyRule.SealedRecordAccess));

        // The named GP's look is alerted to the practice's privacy officer, who sees nothing of the hospital's break-glass.
        var practice = await OfficerAsync("privacy.b86001");
        var look = Assert.Single(await AlertsAsync(practice, nhs, PrivacyRule.SealedRecordAccess));
        Assert.Equal(SyntheticOrganisations.BeckettStreetSurgery, look.Organisation.OdsCode);
        Assert.Equal(named.Id, look.Actor.Id);
        Assert.Empty(await AlertsAsync(practice, nhs, PrivacyRule.SealedRecordEmergencyAccess));

        // The patient's log says the glass was broken into their sealed record, without the professional's words.
        var sar = await AccessAsync(Gateway, "ig.b86001", nhs, PurposeOfUse.SubjectAccessRequest);
        var log = await RecordsClient(Gateway).GetAccessLogAsync(new GetAccessLogRequest { NhsNumber = nhs, PageSize = 200 }, Bearer(sar.AccessToken));
        var line = Assert.Single(log.Entries, e => e.Action == AuditAction.ViewSummary && e.EmergencyAccess);
        Assert.True(line.SealedRecord);
        Assert.StartsWith("emergency access to your sealed record", line.AccessReason, StringComparison.Ordinal);
        Assert.DoesNotContain(log.Entries, e => e.AccessReason.Contains("Cardiac", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_view_surge_seals_the_record_and_alerts_the_platforms_IG_team_not_the_viewing_organisations()
    {
        var (nhs, _) = await RegisterPatientAsync(Gateway);
        for (var i = 0; i <= SurgeLimit; i++)
        {
            var viewer = await NewProfessionalAsync(Gateway);
            var token = (await AccessAsync(Gateway, viewer.UserName, nhs)).AccessToken;
            await RecordsClient(Gateway).GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = nhs }, Bearer(token));
        }

        var platformReview = Bearer(await SystemAsync(Gateway, "platform-admin", "audit.review"));
        var until = DateTime.UtcNow + Deadline;
        List<PrivacyReviewCase> surges;
        while ((surges = await AlertsAsync(platformReview, nhs, PrivacyRule.ViewSurge)).Count == 0)
        {
            Assert.True(DateTime.UtcNow < until, "No VIEW_SURGE alert before the deadline.");
            await Task.Delay(100);
        }

        var surge = Assert.Single(surges);
        Assert.Equal(SyntheticOrganisations.PlatformOperator, surge.Organisation.OdsCode);
        Assert.Equal(PrivacySeverity.High, surge.Severity);
        Assert.Empty(await AlertsAsync(await OfficerAsync("privacy.b86001"), nhs, PrivacyRule.ViewSurge));
        Assert.Equal(SealReason.ViewSurge, (await ConsentAsync(Gateway, nhs)).Seal.Reason);
    }
}
