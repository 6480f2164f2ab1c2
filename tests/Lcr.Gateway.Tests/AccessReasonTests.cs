using System.Text;
using Grpc.Core;
using Grpc.Net.Client;
using Lcr.Audit.V1;
using Lcr.Common.V1;
using Lcr.Consent.V1;
using Lcr.Gateway.Records;
using Lcr.Gateway.SubjectAccess;
using Lcr.Gateway.V1;
using Lcr.Identity.V1;
using Lcr.ServiceDefaults;
using static Lcr.Gateway.Tests.Callers;
using static Lcr.Testing.RpcAssert;
using R4 = Hl7.Fhir.Model;

namespace Lcr.Gateway.Tests;

/// <summary>
/// Issue 20: a reason for every access in the patient-facing log, and enhanced review of the
/// log (held back from subject access while audit carries on), end to end through the gateway.
/// </summary>
[Collection(PlatformCollection.Name)]
public class AccessReasonTests(PlatformFixture platform)
{
    // Registered at B86001 (index % 3 == 0) and used by no other test.
    private const int ReasonsPatient = 117;
    private const int ReviewPatient = 120;
    private const int ExportReviewPatient = 123;
    private const int CraftedPatient = 126;
    private const string Gp = "B86001";

    private GrpcChannel Gateway => platform.Gateway.Channel;

    private static readonly InternalCredentials Internal = new(Convert.FromBase64String(PlatformFixture.InternalKey), "gateway", ["gateway"]);

    private static async Task<GetAccessLogResponse> AccessLogAsync(GrpcChannel gateway, string nhs, string token) =>
        await RecordsClient(gateway).GetAccessLogAsync(new GetAccessLogRequest { NhsNumber = nhs, PageSize = 200 }, Bearer(token));

    private async Task<long> AuditCountAsync(string where, params (string, object)[] parameters) =>
        (long)(await platform.Audit.Database.ScalarAsync("select count(*) from audit_events where " + where, parameters))!;

    /// <summary>The practice's IG officer holds or gives back the patient's log, through the gateway (an audited consent change).</summary>
    private async Task ReviewAsync(string nhs, bool start)
    {
        var ig = await AccessAsync(Gateway, "ig.b86001", nhs, PurposeOfUse.InformationGovernance);
        var consent = new ConsentService.ConsentServiceClient(Gateway);
        if (start)
        {
            var started = await consent.StartAccessLogReviewAsync(
                new StartAccessLogReviewRequest { NhsNumber = nhs, Reason = "Coercive relationship suspected, ref IG/R-20" }, Bearer(ig.AccessToken));
            Assert.NotNull(started.State.AccessLogReview);
        }
        else
        {
            var completed = await consent.CompleteAccessLogReviewAsync(
                new CompleteAccessLogReviewRequest { NhsNumber = nhs, Reason = "Reviewed with the patient, ref IG/R-20" }, Bearer(ig.AccessToken));
            Assert.Null(completed.State.AccessLogReview);
        }
    }

    [Fact]
    public async Task The_access_log_says_why_in_words_for_direct_care_emergency_and_information_governance()
    {
        var nhs = Nhs(ReasonsPatient);

        // Direct care: the GP's token rests on the practice's registration relationship.
        var gp = await AccessAsync(Gateway, "gp.b86001", nhs);
        var read = await RecordsClient(Gateway).GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = nhs }, Bearer(gp.AccessToken));

        // Emergency: a hospital doctor with no relationship breaks the glass, with free text only a privacy officer may read.
        var session = await SessionAsync(Gateway, "ed.rr8");
        var glass = await IdentityClient(Gateway).IssueEmergencyAccessTokenAsync(new IssueEmergencyAccessTokenRequest
        {
            NhsNumber = nhs, ReasonCode = EmergencyAccessReason.ClinicalEmergency, ReasonText = "Collapsed in the waiting room QWERTY",
        }, Bearer(session));
        var emergencyRead = await RecordsClient(Gateway).GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = nhs }, Bearer(glass.AccessToken));

        // Information governance: the practice's IG officer tries to open the record (refused: IG tokens grant no
        // clinical categories, but the attempt is listed), then answers the patient's request with an export.
        var ig = await AccessAsync(Gateway, "ig.b86001", nhs, PurposeOfUse.InformationGovernance);
        await Fails(StatusCode.PermissionDenied, async () => await RecordsClient(Gateway).GetPatientRecordAsync(
            new GetPatientRecordRequest { NhsNumber = nhs }, Bearer(ig.AccessToken)));
        var sar = await AccessAsync(Gateway, "ig.b86001", nhs, PurposeOfUse.SubjectAccessRequest);
        await ExportBundleAsync(nhs, sar.AccessToken);

        var log = await AccessLogAsync(Gateway, nhs, sar.AccessToken);

        var direct = Assert.Single(log.Entries, l => l.Action == AuditAction.ViewSummary && l.Purpose == PurposeOfUse.DirectCare);
        // The words follow the relationship kind the token carries (identity names it; older tokens without one say "direct care").
        Assert.Equal(AccessReasons.Describe(PurposeOfUse.DirectCare, gp.CareRelationshipKind, SelfClaimReason.Unspecified, EmergencyAccessReason.Unspecified, false),
            direct.AccessReason);
        Assert.StartsWith("direct care", direct.AccessReason, StringComparison.Ordinal);
        Assert.False(direct.SealedRecord);
        Assert.Equal(SelfClaimReason.Unspecified, direct.SelfClaimReason);

        var emergencyLines = log.Entries.Where(l => l.Purpose == PurposeOfUse.EmergencyCare).ToList();
        Assert.Contains(emergencyLines, l => l.Action == AuditAction.EmergencyAccess);
        Assert.Contains(emergencyLines, l => l.Action == AuditAction.ViewSummary);
        Assert.All(emergencyLines, l => Assert.Equal("emergency access - clinical emergency", l.AccessReason));
        Assert.True(emergencyRead.EmergencyAccess);

        var igLine = Assert.Single(log.Entries, l => l.Purpose == PurposeOfUse.InformationGovernance);
        Assert.Equal(AuditOutcome.Denied, igLine.Outcome);
        Assert.Equal("information governance", igLine.AccessReason);
        var export = Assert.Single(log.Entries, l => l.Action == AuditAction.SubjectAccessExport);
        Assert.Equal(PurposeOfUse.SubjectAccessRequest, export.Purpose);
        Assert.Equal("answering your request for your records", export.AccessReason);
        Assert.All(log.Entries, l => Assert.NotEmpty(l.AccessReason));

        // The professional's own free text never reaches the patient's log.
        Assert.DoesNotContain("QWERTY", log.ToString(), StringComparison.Ordinal);
        Assert.NotEmpty(read.AuditEventId);
    }

    [Fact]
    public async Task Self_claims_seals_and_privacy_review_decisions_are_not_looks_and_stay_out_of_the_patients_log()
    {
        var nhs = Nhs(CraftedPatient);
        var doctor = new Actor
        {
            Kind = ActorKind.Professional, Id = Guid.NewGuid().ToString(), DisplayName = "Dr Ada Test", RoleCode = "R8000",
            // An organisation no other test looks at: the audit service may raise privacy alerts to it from these events.
            Organisation = new OrganisationReference { OdsCode = "Y99R20", DisplayName = "Test Organisation (issue 20)" },
        };
        AuditEvent Event(AuditAction action, PurposeOfUse purpose) => new()
        {
            EventId = Guid.CreateVersion7().ToString(),
            OccurrenceTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow),
            Action = action, Outcome = AuditOutcome.Permitted, Actor = doctor, CallingSystem = Downstream.PlatformActor.Gateway,
            NhsNumber = nhs, PurposeOfUse = purpose,
        };

        // As the gateway records them (audit accepts them from the platform only).
        var claim = Event(AuditAction.SelfClaimedRelationship, PurposeOfUse.DirectCare);
        claim.SelfClaim = new SelfClaimDetail { CareRelationshipId = Guid.NewGuid().ToString(), ReasonCode = SelfClaimReason.ReferralReceived };
        var seal = Event(AuditAction.RecordSealed, PurposeOfUse.InformationGovernance);
        seal.Seal = new SealDetail { Reason = SealReason.HighProfile };
        var unseal = Event(AuditAction.RecordUnsealed, PurposeOfUse.InformationGovernance);
        unseal.Seal = new SealDetail { Reason = SealReason.HighProfile };
        var view = Event(AuditAction.ViewSummary, PurposeOfUse.DirectCare);
        view.CareRelationshipId = Guid.NewGuid().ToString();
        view.ReturnedCategories.Add(RecordCategory.Problems);
        using (var channel = GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions { HttpHandler = platform.Audit.CreateHandler() }))
        {
            await new AuditService.AuditServiceClient(channel).RecordEventsAsync(new RecordEventsRequest
            {
                Events =
                {
                    claim, seal, view, unseal,
                    Event(AuditAction.PrivacyReviewDecision, PurposeOfUse.InformationGovernance),
                },
            }, Internal.For(Downstream.PlatformActor.Gateway));
        }

        var sar = await AccessAsync(Gateway, "ig.b86001", nhs, PurposeOfUse.SubjectAccessRequest);
        var line = Assert.Single((await AccessLogAsync(Gateway, nhs, sar.AccessToken)).Entries);
        Assert.Equal(AuditAction.ViewSummary, line.Action);
        Assert.StartsWith("direct care", line.AccessReason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Under_enhanced_review_subject_access_is_refused_and_audited_IG_still_reads_and_completing_gives_it_back()
    {
        var nhs = Nhs(ReviewPatient);
        var gp = await AccessAsync(Gateway, "gp.b86001", nhs);
        await RecordsClient(Gateway).GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = nhs }, Bearer(gp.AccessToken));
        var sar = await AccessAsync(Gateway, "ig.b86001", nhs, PurposeOfUse.SubjectAccessRequest);
        Assert.NotEmpty((await AccessLogAsync(Gateway, nhs, sar.AccessToken)).Entries);

        await ReviewAsync(nhs, start: true);

        // The subject-access read is refused, and the refusal is in the audit trail.
        var e = await Fails(StatusCode.FailedPrecondition, () => AccessLogAsync(Gateway, nhs, sar.AccessToken));
        Assert.Equal("ACCESS_LOG_UNDER_REVIEW", Reason(e));
        Assert.Equal(1, await AuditCountAsync("action = 11 and outcome = 2 and access_token_id = @t and nhs_number = @n and denial_reason = @r",
            ("t", sar.TokenId), ("n", nhs), ("r", (int)AuditDenialReason.AccessLogUnderReview)));

        // Nothing else changes: the record is read as before and each read is still audited; IG reads the log, which lists it.
        var before = await AuditCountAsync("nhs_number = @n and action = 1 and outcome = 1", ("n", nhs));
        var during = await RecordsClient(Gateway).GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = nhs }, Bearer(gp.AccessToken));
        Assert.NotEmpty(during.AuditEventId);
        Assert.Equal(before + 1, await AuditCountAsync("nhs_number = @n and action = 1 and outcome = 1", ("n", nhs)));
        var ig = await AccessAsync(Gateway, "ig.b86001", nhs, PurposeOfUse.InformationGovernance);
        var igLog = await AccessLogAsync(Gateway, nhs, ig.AccessToken);
        Assert.Equal(2, igLog.Entries.Count(l => l.Action == AuditAction.ViewSummary && l.Outcome == AuditOutcome.Permitted));

        // The audit trail itself is unchanged for an IG officer.
        var trail = await new AuditService.AuditServiceClient(Gateway).ListEventsByPatientAsync(new ListEventsByPatientRequest { NhsNumber = nhs, PageSize = 200 },
            Bearer(ig.AccessToken));
        Assert.Contains(trail.Events, x => x.EventId == during.AuditEventId);

        await ReviewAsync(nhs, start: false);
        var after = await AccessLogAsync(Gateway, nhs, sar.AccessToken);
        Assert.Equal(2, after.Entries.Count(l => l.Action == AuditAction.ViewSummary && l.Outcome == AuditOutcome.Permitted));
    }

    [Fact]
    public async Task A_subject_access_export_leaves_the_log_out_while_it_is_reviewed_and_says_so()
    {
        var nhs = Nhs(ExportReviewPatient);
        var gp = await AccessAsync(Gateway, "gp.b86001", nhs);
        await RecordsClient(Gateway).GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = nhs }, Bearer(gp.AccessToken));

        await ReviewAsync(nhs, start: true);
        var sar = await AccessAsync(Gateway, "ig.b86001", nhs, PurposeOfUse.SubjectAccessRequest);
        var bundle = await ExportBundleAsync(nhs, sar.AccessToken);
        Assert.Empty(bundle.Entry.Select(x => x.Resource).OfType<R4.AuditEvent>());
        var withheld = Assert.Single(bundle.Entry.Select(x => x.Resource).OfType<R4.OperationOutcome>());
        Assert.Equal(FhirBundleBuilder.AccessLogUnderReview, withheld.Issue[0].Details!.Coding[0].Code);
        Assert.Contains("withheld while it is reviewed", withheld.Issue[0].Details!.Text, StringComparison.Ordinal);
        // The export itself is audited as before.
        Assert.Equal(1, await AuditCountAsync("nhs_number = @n and action = 12 and outcome = 1", ("n", nhs)));

        await ReviewAsync(nhs, start: false);
        var open = await ExportBundleAsync(nhs, (await AccessAsync(Gateway, "ig.b86001", nhs, PurposeOfUse.SubjectAccessRequest)).AccessToken);
        var events = open.Entry.Select(x => x.Resource).OfType<R4.AuditEvent>().ToList();
        Assert.NotEmpty(events);
        Assert.Empty(open.Entry.Select(x => x.Resource).OfType<R4.OperationOutcome>());
        // The export's events carry the same reason words as the patient's log.
        Assert.Contains(events, a => a.PurposeOfEvent.Any(p => p.Text?.StartsWith("direct care", StringComparison.Ordinal) == true));
    }

    private async Task<R4.Bundle> ExportBundleAsync(string nhs, string token)
    {
        using var call = new SubjectAccessService.SubjectAccessServiceClient(Gateway).ExportSubjectAccess(
            new ExportSubjectAccessRequest { NhsNumber = nhs, OrganisationOdsCode = Gp }, Bearer(token));
        using var bytes = new MemoryStream();
        await foreach (var m in call.ResponseStream.ReadAllAsync())
        {
            if (m.PartCase == ExportSubjectAccessResponse.PartOneofCase.BundleChunk)
            {
                m.BundleChunk.WriteTo(bytes);
            }
        }

        return System.Text.Json.JsonSerializer.Deserialize<R4.Bundle>(Encoding.UTF8.GetString(bytes.ToArray()), SubjectAccessExporter.Json)!;
    }
}
