using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Lcr.Audit.V1;
using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Lcr.Consent.V1;
using Lcr.Gateway.Access;
using Lcr.Gateway.V1;
using Lcr.Identity.V1;
using Microsoft.Extensions.DependencyInjection;
using static Lcr.Gateway.Tests.Callers;
using static Lcr.Testing.RpcAssert;

namespace Lcr.Gateway.Tests;

/// <summary>Issue 17, section 2: the audit trail says exactly what happened (refusals, what was returned, the patient's log).</summary>
[Collection(PlatformCollection.Name)]
public class AuditTrailTests(PlatformFixture platform)
{
    // Registered at B86001 (index % 3 == 0) and used by no other test.
    private const int RefusedLogPatient = 42;
    private const int WithheldDocumentsPatient = 45;
    private const int ManyWithheldPatient = 48;
    private const int AttemptsPatient = 51;
    private const int OtherPatient = 54;

    private Grpc.Net.Client.GrpcChannel Gateway => platform.Gateway.Channel;

    private async Task<long> AuditCountAsync(string where, params (string, object)[] parameters) =>
        (long)(await platform.Audit.Database.ScalarAsync("select count(*) from audit_events where " + where, parameters))!;

    private async Task<int[]> EventCategoriesAsync(string eventId) =>
        (int[])(await platform.Audit.Database.ScalarAsync("select returned_categories from audit_events where event_id = @id",
            ("id", Guid.Parse(eventId))))!;

    private static async Task<GetAccessLogResponse> AccessLogAsync(Grpc.Net.Client.GrpcChannel gateway, string nhs, string token) =>
        await RecordsClient(gateway).GetAccessLogAsync(new GetAccessLogRequest { NhsNumber = nhs, PageSize = 200 }, Bearer(token));

    private async Task WithholdEntriesAsync(string nhs, IEnumerable<string> ids)
    {
        var ig = await AccessAsync(Gateway, "ig.b86001", nhs, PurposeOfUse.InformationGovernance);
        var consent = new ConsentService.ConsentServiceClient(Gateway);
        foreach (var id in ids)
        {
            await consent.AddRestrictionAsync(new AddRestrictionRequest
            {
                NhsNumber = nhs,
                RequestId = Guid.NewGuid().ToString(),
                Restriction = new Restriction { WithheldEntryId = id, Reason = "Patient asked by letter", Channel = ConsentChannel.Letter },
            }, Bearer(ig.AccessToken));
        }
    }

    private async Task<List<string>> ContributeAsync(params Entry[] entries)
    {
        var feed = await SystemAsync(Gateway, "b86001-gp-feed", "record.contribute");
        var response = await new ClinicalRecordService.ClinicalRecordServiceClient(Gateway).UpsertEntriesAsync(new UpsertEntriesRequest
        {
            SourceSystem = "SystmOne",
            Entries =
            {
                entries.Select(e => new EntryContribution
                {
                    Entry = e,
                    DocumentContent = e.Category == RecordCategory.Documents
                        ? new DocumentContent { ContentType = "text/plain", Data = ByteString.CopyFromUtf8("Clinic letter.") }
                        : null,
                }),
            },
        }, Bearer(feed));
        return response.Results.Select(r => r.EntryId).ToList();
    }

    private static Entry Problem(string nhs, string sourceId, int year) => new()
    {
        NhsNumber = nhs,
        Category = RecordCategory.Problems,
        Code = new CodedConcept { System = "http://snomed.info/sct", Code = "195967001", Display = "Asthma" },
        Provenance = new Provenance { SourceEntryId = sourceId },
        Problem = new Problem { ClinicalStatus = ProblemClinicalStatus.Active, OnsetDate = new Date { Year = year, Month = 1, Day = 1 } },
    };

    private static Entry Letter(string nhs, string sourceId) => new()
    {
        NhsNumber = nhs,
        Category = RecordCategory.Documents,
        Code = new CodedConcept { System = "http://snomed.info/sct", Code = "371531000", Display = "Report of clinical encounter" },
        Provenance = new Provenance { SourceEntryId = sourceId },
        Document = new Document
        {
            Type = DocumentType.ClinicLetter, Title = "Review", Author = "Dr P Shah, GP",
            AuthoredTime = Timestamp.FromDateTimeOffset(new DateTimeOffset(2025, 2, 3, 10, 0, 0, TimeSpan.Zero)),
        },
    };

    private async Task<List<Entry>> ListAllAsync(string nhs, RecordCategory category, string token)
    {
        var all = new List<Entry>();
        var pageToken = string.Empty;
        do
        {
            var page = await RecordsClient(Gateway).ListRecordEntriesAsync(new ListRecordEntriesRequest
            {
                NhsNumber = nhs, Category = category, PageSize = 200, PageToken = pageToken,
            }, Bearer(token));
            all.AddRange(page.Entries);
            pageToken = page.NextPageToken;
        }
        while (pageToken.Length > 0);
        return all;
    }

    [Fact]
    public async Task A_refused_access_log_read_is_audited_as_denied_for_a_wrong_purpose_patient_or_role()
    {
        var nhs = Nhs(RefusedLogPatient);
        var other = Nhs(OtherPatient);
        const string Denied = "action = 11 and outcome = 2 and access_token_id = @t and nhs_number = @n and denial_reason = @r";

        var gp = await AccessAsync(Gateway, "gp.b86001", nhs);
        var e = await Fails(StatusCode.PermissionDenied, () => AccessLogAsync(Gateway, nhs, gp.AccessToken));
        Assert.Equal("PURPOSE_NOT_PERMITTED", Reason(e));
        Assert.Equal(1, await AuditCountAsync(Denied, ("t", gp.TokenId), ("n", nhs), ("r", (int)AuditDenialReason.PurposeNotPermitted)));

        var sar = await AccessAsync(Gateway, "ig.b86001", nhs, PurposeOfUse.SubjectAccessRequest);
        e = await Fails(StatusCode.PermissionDenied, () => AccessLogAsync(Gateway, other, sar.AccessToken));
        Assert.Equal("PATIENT_MISMATCH", Reason(e));
        Assert.Equal(1, await AuditCountAsync(Denied, ("t", sar.TokenId), ("n", other), ("r", (int)AuditDenialReason.PatientMismatch)));

        // A deployment whose information-governance role is another code: the same officer's token is the wrong role.
        await using var strict = platform.CreateGateway(s => s.Configure<GovernanceOptions>(o =>
        {
            o.InformationGovernanceRoles.Clear();
            o.InformationGovernanceRoles.Add("R9999");
        }));
        e = await Fails(StatusCode.PermissionDenied, () => AccessLogAsync(strict.Channel, nhs, sar.AccessToken));
        Assert.Equal("ROLE_NOT_PERMITTED", Reason(e));
        Assert.Equal(1, await AuditCountAsync(Denied, ("t", sar.TokenId), ("n", nhs), ("r", (int)AuditDenialReason.RoleNotPermitted)));

        // The permitted read still works and is recorded by the audit service as a permitted query.
        Assert.NotNull(await AccessLogAsync(Gateway, nhs, sar.AccessToken));
    }

    [Fact]
    public async Task A_view_event_names_no_category_of_which_nothing_was_returned()
    {
        var nhs = Nhs(WithheldDocumentsPatient);
        var tag = Guid.NewGuid().ToString("N")[..8];
        var problemId = (await ContributeAsync(Letter(nhs, "audit-letter-" + tag), Problem(nhs, "audit-problem-" + tag, 2020)))[1];
        var gp = await AccessAsync(Gateway, "gp.b86001", nhs);
        var documents = await ListAllAsync(nhs, RecordCategory.Documents, gp.AccessToken);
        Assert.NotEmpty(documents);

        // The patient withholds every document they have: the GP is shown none.
        await WithholdEntriesAsync(nhs, documents.Select(d => d.Id));
        var list = await RecordsClient(Gateway).ListRecordEntriesAsync(new ListRecordEntriesRequest { NhsNumber = nhs, Category = RecordCategory.Documents },
            Bearer(gp.AccessToken));
        Assert.Empty(list.Entries);
        Assert.Empty(await EventCategoriesAsync(list.AuditEventId));

        var record = await RecordsClient(Gateway).GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = nhs }, Bearer(gp.AccessToken));
        Assert.Empty(record.RecentDocuments);
        Assert.Equal(0, record.CategoryCounts.SingleOrDefault(c => c.Category == RecordCategory.Documents)?.Count ?? 0);
        var audited = await EventCategoriesAsync(record.AuditEventId);
        Assert.DoesNotContain((int)RecordCategory.Documents, audited);
        Assert.Contains((int)RecordCategory.Demographics, audited);

        // What was returned is still named: an entry read names its category.
        Assert.Contains((int)RecordCategory.Problems, audited);
        var entry = await RecordsClient(Gateway).GetRecordEntryAsync(new GetRecordEntryRequest { NhsNumber = nhs, EntryId = problemId }, Bearer(gp.AccessToken));
        var entryCategories = await EventCategoriesAsync(entry.AuditEventId);
        Assert.Equal([(int)RecordCategory.Problems], entryCategories);
    }

    [Fact]
    public async Task Counts_are_exact_however_many_entries_are_withheld_one_by_one()
    {
        var nhs = Nhs(ManyWithheldPatient);
        var tag = Guid.NewGuid().ToString("N")[..8];
        var added = await ContributeAsync(Enumerable.Range(0, 60).Select(i => Problem(nhs, $"many-{tag}-{i}", 1990 + (i % 30))).ToArray());
        var gp = await AccessAsync(Gateway, "gp.b86001", nhs);
        var before = await RecordsClient(Gateway).GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = nhs }, Bearer(gp.AccessToken));
        var problemsBefore = before.CategoryCounts.Single(c => c.Category == RecordCategory.Problems).Count;

        // 55 entries withheld individually: more than the 50 the gateway used to look up one by one.
        var withheld = added.Take(55).ToList();
        await WithholdEntriesAsync(nhs, withheld);
        var after = await RecordsClient(Gateway).GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = nhs }, Bearer(gp.AccessToken));
        Assert.Equal(problemsBefore - 55, after.CategoryCounts.Single(c => c.Category == RecordCategory.Problems).Count);
        Assert.DoesNotContain(after.ActiveProblems, p => withheld.Contains(p.Id));
        Assert.Contains(after.ActiveProblems, p => p.Id == added[59]);

        // One clinical call for the summary, however many entries are withheld: no per-entry look-ups.
        var trace = (string)(await platform.Audit.Database.ScalarAsync("select trace_id from audit_events where event_id = @id",
            ("id", Guid.Parse(after.AuditEventId))))!;
        List<System.Diagnostics.Activity> clinicalCalls = [];
        for (var until = DateTime.UtcNow.AddSeconds(10); DateTime.UtcNow < until; await Task.Delay(50))
        {
            clinicalCalls = PlatformFixture.SnapshotOf(platform.Gateway.Spans)
                .Where(a => a.TraceId.ToHexString() == trace && a.Kind == System.Diagnostics.ActivityKind.Client &&
                    a.DisplayName.Contains("ClinicalRecordService/", StringComparison.Ordinal))
                .ToList();
            if (clinicalCalls.Exists(a => a.DisplayName.EndsWith("/GetRecordSummary", StringComparison.Ordinal)))
            {
                break;
            }
        }

        Assert.Equal(["GetRecordSummary"], clinicalCalls.Select(a => a.DisplayName.Split('/')[^1]));

        // Every count equals what the viewer can list.
        foreach (var count in after.CategoryCounts)
        {
            Assert.Equal(count.Count, (await ListAllAsync(nhs, count.Category, gp.AccessToken)).Count);
        }
    }

    [Fact]
    public async Task The_access_log_lists_refused_token_requests_and_refused_views_but_not_granted_tokens()
    {
        var nhs = Nhs(AttemptsPatient);

        // A hospital doctor with no care relationship asks for a token: refused.
        var session = await SessionAsync(Gateway, "ed.rr8");
        await Fails(StatusCode.PermissionDenied, async () => await IdentityClient(Gateway).IssueAccessTokenAsync(
            new IssueAccessTokenRequest { NhsNumber = nhs, Purpose = PurposeOfUse.DirectCare }, Bearer(session)));

        // A GP holding a token for another patient tries this one: a refused view.
        var otherToken = await AccessAsync(Gateway, "gp.b86001", Nhs(OtherPatient));
        await Fails(StatusCode.PermissionDenied, async () => await RecordsClient(Gateway).GetPatientRecordAsync(
            new GetPatientRecordRequest { NhsNumber = nhs }, Bearer(otherToken.AccessToken)));

        // The GP gets a token for this patient (granted) and reads.
        var gp = await AccessAsync(Gateway, "gp.b86001", nhs);
        await RecordsClient(Gateway).GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = nhs }, Bearer(gp.AccessToken));

        var sar = await AccessAsync(Gateway, "ig.b86001", nhs, PurposeOfUse.SubjectAccessRequest);
        var log = await AccessLogAsync(Gateway, nhs, sar.AccessToken);
        var refusedToken = Assert.Single(log.Entries, l => l.Action == AuditAction.TokenIssued);
        Assert.Equal(AuditOutcome.Denied, refusedToken.Outcome);
        // Named as the professional who asked (their organisation and role only where the request established them).
        Assert.NotEmpty(refusedToken.ViewerName);
        Assert.Empty(refusedToken.Categories);
        Assert.Equal(0, refusedToken.EntryCount);

        var refusedView = Assert.Single(log.Entries, l => l.Action == AuditAction.ViewSummary && l.Outcome == AuditOutcome.Denied);
        Assert.Empty(refusedView.Categories);
        Assert.Single(log.Entries, l => l.Action == AuditAction.ViewSummary && l.Outcome == AuditOutcome.Permitted);

        // Granted tokens (the GP's and the IG officer's) are not looks; both exist in the full trail.
        Assert.True(await AuditCountAsync("nhs_number = @n and action = 7 and outcome = 1", ("n", nhs)) >= 2);
    }
}
