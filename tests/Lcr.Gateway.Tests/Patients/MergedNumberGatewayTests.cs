using System.Collections.Concurrent;
using Google.Rpc;
using Grpc.Core;
using Grpc.Net.Client;
using Lcr.Audit.V1;
using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Lcr.Consent.V1;
using Lcr.Demographics.V1;
using Lcr.Gateway.Downstream;
using Lcr.Gateway.V1;
using Lcr.Identity.V1;
using static Lcr.Gateway.Tests.Callers;

namespace Lcr.Gateway.Tests.Patients;

/// <summary>
/// Issue 21: a superseded (merged) NHS number at every door of the gateway, and the merged set
/// passed on. Each test merges its own pair of patients through the gateway as the platform's
/// PDS feed (lcr01-pds-feed, demographics.merge): the merged-away number is registered at
/// B86001 (so gp.b86001 has a registered-GP relationship recorded under it), the kept one at B86003.
/// </summary>
[Collection(PlatformCollection.Name)]
public class MergedNumberGatewayTests(PlatformFixture platform)
{
    private GrpcChannel Gateway => platform.Gateway.Channel;

    private static DemographicsService.DemographicsServiceClient Demographics(GrpcChannel channel) => new(channel);

    private Task<Metadata> FeedAsync() => PatientIdentityCalls.PdsFeedAsync(Gateway);

    private Task<ReportSupersessionResponse> MergeAsync(string notice, string away, string into) => PatientIdentityCalls.MergeAsync(Gateway, notice, away, into);

    private Task<string> ContributeProblemAsync(string nhs) => PatientIdentityCalls.ContributeProblemAsync(Gateway, nhs);

    private async Task<long> CountAsync(string where, params (string, object)[] parameters) =>
        (long)(await platform.Audit.Database.ScalarAsync("select count(*) from audit_events where " + where, parameters))!;

    private static void AssertPointer(RpcException e, string current)
    {
        Assert.Equal(StatusCode.FailedPrecondition, e.StatusCode);
        var info = e.GetRpcStatus()!.GetDetail<ErrorInfo>();
        Assert.Equal("NHS_NUMBER_SUPERSEDED", info.Reason);
        Assert.Equal(current, info.Metadata["current_nhs_number"]);
        Assert.DoesNotContain(current, e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_door_asked_about_a_superseded_number_answers_with_the_current_number_and_an_audited_denial()
    {
        var (away, into) = (Nhs(69), Nhs(71));
        var sent = new ConcurrentQueue<AuditEvent>();
        await using var gateway = platform.CreateGateway(wrap: (service, handler) =>
            service == ServiceNames.Audit ? new AuditEventRecorder(handler, sent) : handler);
        var entryId = await ContributeProblemAsync(away);
        var oldRaw = (await AccessAsync(gateway.Channel, "gp.b86001", away)).AccessToken; // issued before the merge
        var oldToken = Bearer(oldRaw);
        var igToken = Bearer((await AccessAsync(gateway.Channel, "ig.b86001", away, PurposeOfUse.InformationGovernance)).AccessToken);
        await MergeAsync("merge-test-doors-" + Guid.NewGuid().ToString("N"), away, into);

        var records = RecordsClient(gateway.Channel);
        var session = Bearer(await SessionAsync(gateway.Channel, "gp.b86001"));
        var emergencySession = Bearer(await SessionAsync(gateway.Channel, "ed.rr8"));
        var doors = new (string Door, Func<Task> Call)[]
        {
            ("GetPatientRecord", async () => await records.GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = away }, oldToken)),
            ("ListRecordEntries", async () => await records.ListRecordEntriesAsync(
                new ListRecordEntriesRequest { NhsNumber = away, Category = RecordCategory.Problems }, oldToken)),
            ("GetRecordEntry", async () => await records.GetRecordEntryAsync(new GetRecordEntryRequest { NhsNumber = away, EntryId = entryId }, oldToken)),
            ("GetDocumentContent", async () => await records.GetDocumentContentAsync(
                new Lcr.Gateway.V1.GetDocumentContentRequest { NhsNumber = away, EntryId = entryId }, oldToken)),
            ("IssueAccessToken", async () => await IdentityClient(gateway.Channel).IssueAccessTokenAsync(
                new IssueAccessTokenRequest { NhsNumber = away, Purpose = PurposeOfUse.DirectCare }, session)),
            ("IssueEmergencyAccessToken", async () => await IdentityClient(gateway.Channel).IssueEmergencyAccessTokenAsync(
                new IssueEmergencyAccessTokenRequest { NhsNumber = away, ReasonCode = EmergencyAccessReason.ClinicalEmergency, ReasonText = "Unconscious in ED" },
                emergencySession)),
            ("ClaimCareRelationship", async () => await IdentityClient(gateway.Channel).ClaimCareRelationshipAsync(new ClaimCareRelationshipRequest
            {
                NhsNumber = away, ReasonCode = SelfClaimReason.ReferralReceived, ReasonText = "Referral received",
                Duration = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromHours(1)),
            }, session)),
            ("GetConsent", async () => await new ConsentService.ConsentServiceClient(gateway.Channel).GetConsentAsync(
                new Lcr.Consent.V1.GetConsentRequest { NhsNumber = away }, igToken)),
            ("ListEventsByPatient", async () => await new AuditService.AuditServiceClient(gateway.Channel).ListEventsByPatientAsync(
                new ListEventsByPatientRequest { NhsNumber = away }, igToken)),
            ("GetAccessLog", async () => await records.GetAccessLogAsync(new GetAccessLogRequest { NhsNumber = away }, igToken)),
        };

        // FHIR: a 400 OperationOutcome giving the current number, audited as the gRPC doors are.
        sent.Clear();
        var fhir = await Fhir.FhirHttp.GetAsync(Fhir.FhirHttp.Client(gateway, oldRaw), "Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|" + away);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, fhir.Status);
        var issue = Assert.Single(fhir.Outcome.Issue);
        Assert.Equal("NHS_NUMBER_SUPERSEDED", issue.Details!.Coding.Single().Code);
        Assert.Contains(into, issue.Diagnostics, StringComparison.Ordinal);
        Assert.Equal(AuditDenialReason.NhsNumberSuperseded, Assert.Single(sent, x => x.Outcome == AuditOutcome.Denied).DenialReason);

        foreach (var (door, call) in doors)
        {
            sent.Clear();
            var e = await Assert.ThrowsAsync<RpcException>(call);
            Assert.True(e.StatusCode == StatusCode.FailedPrecondition, $"{door}: {e.StatusCode} {e.Status.Detail}");
            AssertPointer(e, into);
            var denied = Assert.Single(sent, x => x.Outcome == AuditOutcome.Denied);
            Assert.True(denied.DenialReason == AuditDenialReason.NhsNumberSuperseded, door);
            Assert.Equal(away, denied.NhsNumber);
            Assert.Equal(away, denied.Supersession.SupersededNhsNumber);
            Assert.Equal(into, denied.Supersession.CurrentNhsNumber);
            Assert.Empty(denied.ReturnedEntryIds);
        }

        // The consent history stays readable under the number a choice was recorded under: the IG
        // officer who lifts a choice made under the old number reads how it came about there.
        var history = await new ConsentService.ConsentServiceClient(gateway.Channel).ListConsentHistoryAsync(
            new ListConsentHistoryRequest { NhsNumber = away }, igToken);
        Assert.NotNull(history);
    }

    [Fact]
    public async Task The_kept_number_reads_as_one_record_with_the_old_numbers_entries_and_a_relationship_recorded_under_it()
    {
        var (away, into) = (Nhs(72), Nhs(74));
        var entryId = await ContributeProblemAsync(away);
        var refused = await Assert.ThrowsAsync<RpcException>(() => AccessAsync(Gateway, "gp.b86001", into));
        Assert.Equal("NO_CARE_RELATIONSHIP", Reason(refused)); // before the merge: the GP knows only the old number

        await MergeAsync("merge-test-read-" + Guid.NewGuid().ToString("N"), away, into);
        var sent = new ConcurrentQueue<AuditEvent>();
        await using var gateway = platform.CreateGateway(wrap: (service, handler) =>
            service == ServiceNames.Audit ? new AuditEventRecorder(handler, sent) : handler);
        var token = Bearer((await AccessAsync(gateway.Channel, "gp.b86001", into)).AccessToken);
        var issued = Assert.Single(sent, x => x.Action == AuditAction.TokenIssued);
        Assert.Equal([away], issued.MergedNhsNumbers);

        var view = await RecordsClient(gateway.Channel).GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = into }, token);
        Assert.Equal([away], view.MergedNhsNumbers);
        var list = await RecordsClient(gateway.Channel).ListRecordEntriesAsync(
            new ListRecordEntriesRequest { NhsNumber = into, Category = RecordCategory.Problems, PageSize = 200 }, token);
        var entry = Assert.Single(list.Entries, x => x.Id == entryId);
        Assert.Equal(away, entry.NhsNumber); // kept under the number it was recorded under, with its provenance
        Assert.Equal("B86001", entry.Provenance.SourceOrganisation.OdsCode);
        var one = await RecordsClient(gateway.Channel).GetRecordEntryAsync(new GetRecordEntryRequest { NhsNumber = into, EntryId = entryId }, token);
        Assert.Equal(away, one.Entry.NhsNumber);
        Assert.All(sent.Where(x => x.Action is AuditAction.ViewSummary or AuditAction.ViewCategory or AuditAction.ViewEntry),
            x => Assert.Equal([away], x.MergedNhsNumbers));
        Assert.Contains(sent, x => x.Action == AuditAction.ViewEntry && x.ReturnedEntryIds.Contains(entryId));
    }

    [Fact]
    public async Task Contributions_racing_a_merge_lose_nothing_and_all_show_under_the_kept_number()
    {
        var (away, into) = (Nhs(129), Nhs(131));
        // Contributions to both numbers run while the PDS feed's notice is reported (and re-sent):
        // each lands on the number it names, and the kept number shows every one, whatever the order.
        var contributions = Enumerable.Range(0, 12).Select(i => Task.Run(() => ContributeProblemAsync(i % 3 == 0 ? into : away))).ToList();
        var notice = "merge-test-race-" + Guid.NewGuid().ToString("N");
        var merges = new[] { Task.Run(() => MergeAsync(notice, away, into)), Task.Run(() => MergeAsync(notice, away, into)) };
        var ids = await Task.WhenAll(contributions);
        var merged = await Task.WhenAll(merges);
        Assert.Single(merged, m => m.Created); // the re-sent notice recorded it once
        ids = [.. ids, .. await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => ContributeProblemAsync(away)))]; // and after it

        var token = Bearer((await AccessAsync(Gateway, "gp.b86001", into)).AccessToken);
        var list = await RecordsClient(Gateway).ListRecordEntriesAsync(
            new ListRecordEntriesRequest { NhsNumber = into, Category = RecordCategory.Problems, PageSize = 200 }, token);
        Assert.Superset(ids.ToHashSet(), list.Entries.Select(e => e.Id).ToHashSet());
        Assert.Equal(12 - 4 + 3, list.Entries.Count(e => ids.Contains(e.Id) && e.NhsNumber == away));
        Assert.Equal(2, await CountAsync("nhs_number in (@a, @b) and action = @x", ("a", away), ("b", into), ("x", (int)AuditAction.NhsNumberSuperseded)));
    }

    [Fact]
    public async Task An_opt_out_under_the_old_number_denies_the_merged_read_and_an_unmerge_restores_both()
    {
        var (away, into) = (Nhs(75), Nhs(77));
        var consentFeed = Bearer(await SystemAsync(Gateway, "b86001-gp-feed", "consent.write"));
        await new ConsentService.ConsentServiceClient(Gateway).RecordOptOutAsync(new RecordOptOutRequest { NhsNumber = away, Channel = ConsentChannel.Letter, Reason = "Letter ref IG/21" }, consentFeed);
        var notice = "merge-test-optout-" + Guid.NewGuid().ToString("N");
        await MergeAsync(notice, away, into);

        var token = Bearer((await AccessAsync(Gateway, "gp.b86001", into)).AccessToken);
        var e = await Assert.ThrowsAsync<RpcException>(() =>
            RecordsClient(Gateway).GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = into }, token).ResponseAsync);
        Assert.Equal("PATIENT_OPTED_OUT", Reason(e)); // the stricter consent wins

        var withdrawn = await Demographics(Gateway).WithdrawSupersessionAsync(new WithdrawSupersessionRequest
        {
            NoticeId = notice + "-withdrawn", SupersededNhsNumber = away, NhsNumber = into,
        }, await FeedAsync());
        Assert.True(withdrawn.Withdrawn);
        Assert.Equal(1, await CountAsync("nhs_number = @n and action = @a", ("n", away), ("a", (int)AuditAction.NhsNumberSupersessionWithdrawn)));
        Assert.Equal(1, await CountAsync("nhs_number = @n and action = @a", ("n", into), ("a", (int)AuditAction.NhsNumberSupersessionWithdrawn)));

        // Two patients again: the kept number is not opted out; the GP's relationship is with the old one only.
        var refused = await Assert.ThrowsAsync<RpcException>(() => AccessAsync(Gateway, "gp.b86001", into));
        Assert.Equal("NO_CARE_RELATIONSHIP", Reason(refused));
        var own = Bearer((await AccessAsync(Gateway, "gp.b86001", away)).AccessToken);
        var optedOut = await Assert.ThrowsAsync<RpcException>(() =>
            RecordsClient(Gateway).GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = away }, own).ResponseAsync);
        Assert.Equal("PATIENT_OPTED_OUT", Reason(optedOut)); // read as its own number again (no pointer)
    }

    [Fact]
    public async Task A_re_sent_merge_notice_writes_no_second_event()
    {
        var (away, into) = (Nhs(84), Nhs(86));
        var notice = "merge-test-resend-" + Guid.NewGuid().ToString("N");
        Assert.True((await MergeAsync(notice, away, into)).Created);
        Assert.False((await MergeAsync(notice, away, into)).Created);
        foreach (var nhs in new[] { away, into })
        {
            Assert.Equal(1, await CountAsync("nhs_number = @n and action = @a", ("n", nhs), ("a", (int)AuditAction.NhsNumberSuperseded)));
        }
    }

    [Fact]
    public async Task Only_the_platforms_merge_feed_reports_supersessions_and_resolve_is_internal()
    {
        var gpFeed = Bearer(await SystemAsync(Gateway, "b86001-gp-feed", "demographics.write"));
        var request = new ReportSupersessionRequest { NoticeId = "merge-test-refused", SupersededNhsNumber = Nhs(87), NhsNumber = Nhs(89) };
        var e = await Assert.ThrowsAsync<RpcException>(() => Demographics(Gateway).ReportSupersessionAsync(request, gpFeed).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, e.StatusCode);
        var withdraw = new WithdrawSupersessionRequest { NoticeId = "merge-test-refused-w", SupersededNhsNumber = Nhs(87), NhsNumber = Nhs(89) };
        Assert.Equal(StatusCode.PermissionDenied, (await Assert.ThrowsAsync<RpcException>(() =>
            Demographics(Gateway).WithdrawSupersessionAsync(withdraw, gpFeed).ResponseAsync)).StatusCode);
        Assert.Equal(StatusCode.PermissionDenied, (await Assert.ThrowsAsync<RpcException>(() =>
            Demographics(Gateway).ListSupersessionsAsync(new ListSupersessionsRequest { NhsNumber = Nhs(87) }, gpFeed).ResponseAsync)).StatusCode);
        var feed = await FeedAsync();

        // Malformed input through the gateway: every bad field named, nothing echoed, nothing written.
        await RpcAssert.InvalidFields(() => Demographics(Gateway).ReportSupersessionAsync(new ReportSupersessionRequest
        {
            NoticeId = "bad notice id!", SupersededNhsNumber = "12345", NhsNumber = "9990000019",
        }, feed).ResponseAsync, "notice_id", "superseded_nhs_number", "nhs_number");
        await RpcAssert.InvalidFields(() => Demographics(Gateway).ListSupersessionsAsync(
            new ListSupersessionsRequest { NhsNumber = Nhs(87), PageSize = -1 }, feed).ResponseAsync, "page_size");
        var resolve = await Assert.ThrowsAsync<RpcException>(() =>
            Demographics(Gateway).ResolveNhsNumberAsync(new ResolveNhsNumberRequest { NhsNumber = Nhs(87) }, feed).ResponseAsync);
        Assert.Equal("INTERNAL_ONLY", Reason(resolve));
        var listed = await Demographics(Gateway).ListSupersessionsAsync(new ListSupersessionsRequest { NhsNumber = Nhs(87) }, feed);
        Assert.Empty(listed.Supersessions);
    }

    [Fact]
    public async Task A_caller_cannot_widen_their_reach_by_sending_merged_numbers()
    {
        // gp.b86001 has a registered-GP relationship with patient 93 (B86001) and none with 92 (B86003).
        var session = Bearer(await SessionAsync(Gateway, "gp.b86001"));
        var e = await Assert.ThrowsAsync<RpcException>(() => IdentityClient(Gateway).IssueAccessTokenAsync(new IssueAccessTokenRequest
        {
            NhsNumber = Nhs(92), Purpose = PurposeOfUse.DirectCare, MergedNhsNumbers = { Nhs(93) },
        }, session).ResponseAsync);
        Assert.Equal("NO_CARE_RELATIONSHIP", Reason(e));

        // An IG officer's trail of one patient never includes another number the caller names.
        var ig = Bearer((await AccessAsync(Gateway, "ig.b86001", Nhs(93), PurposeOfUse.InformationGovernance)).AccessToken);
        var page = await new AuditService.AuditServiceClient(Gateway).ListEventsByPatientAsync(
            new ListEventsByPatientRequest { NhsNumber = Nhs(93), MergedNhsNumbers = { Nhs(0) }, PageSize = 500 }, ig);
        Assert.All(page.Events, x => Assert.Equal(Nhs(93), x.NhsNumber));
    }

    [Fact]
    public async Task The_kept_numbers_trail_and_access_log_include_the_old_numbers_events_each_naming_its_number()
    {
        var (away, into) = (Nhs(105), Nhs(107));
        var gp = Bearer((await AccessAsync(Gateway, "gp.b86001", away)).AccessToken);
        await RecordsClient(Gateway).GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = away }, gp);
        await MergeAsync("merge-test-log-" + Guid.NewGuid().ToString("N"), away, into);

        // B86001 is linked to the kept number only through the old number's relationship and registration.
        var sar = Bearer((await AccessAsync(Gateway, "ig.b86001", into, PurposeOfUse.SubjectAccessRequest)).AccessToken);
        var log = await RecordsClient(Gateway).GetAccessLogAsync(new GetAccessLogRequest { NhsNumber = into, PageSize = 200 }, sar);
        var line = Assert.Single(log.Entries, x => x.Action == AuditAction.ViewSummary && x.Outcome == AuditOutcome.Permitted);
        Assert.Equal(away, line.RecordedUnderNhsNumber);

        var ig = Bearer((await AccessAsync(Gateway, "ig.b86001", into, PurposeOfUse.InformationGovernance)).AccessToken);
        var trail = await new AuditService.AuditServiceClient(Gateway).ListEventsByPatientAsync(
            new ListEventsByPatientRequest { NhsNumber = into, PageSize = 500 }, ig);
        Assert.Contains(trail.Events, x => x.NhsNumber == away && x.Action == AuditAction.ViewSummary);
        Assert.Contains(trail.Events, x => x.NhsNumber == into && x.Action == AuditAction.NhsNumberSuperseded);
    }

    [Fact]
    public async Task A_search_finding_a_superseded_number_passes_the_pointer_on_and_audits_it()
    {
        var (awayIndex, into) = (108, Nhs(110));
        var away = Nhs(awayIndex);
        await MergeAsync("merge-test-search-" + Guid.NewGuid().ToString("N"), away, into);
        var sent = new ConcurrentQueue<AuditEvent>();
        await using var gateway = platform.CreateGateway(wrap: (service, handler) =>
            service == ServiceNames.Audit ? new AuditEventRecorder(handler, sent) : handler);
        var patient = Lcr.ServiceDefaults.DevData.SyntheticCohort.Patients[awayIndex];
        var found = await Demographics(gateway.Channel).SearchPatientsAsync(new SearchPatientsRequest
        {
            Family = patient.Family,
            BirthDate = new Date { Year = patient.BirthDate.Year, Month = patient.BirthDate.Month, Day = patient.BirthDate.Day },
        }, Bearer(await SessionAsync(gateway.Channel, "gp.b86001")));

        Assert.DoesNotContain(found.Patients, p => p.NhsNumber == away);
        var pointer = Assert.Single(found.Superseded, x => x.NhsNumber == away);
        Assert.Equal(into, pointer.CurrentNhsNumber);
        var e = Assert.Single(sent, x => x.NhsNumber == away);
        Assert.Equal(AuditAction.Search, e.Action);
        Assert.Equal(AuditDenialReason.NhsNumberSuperseded, e.DenialReason);
        Assert.Equal(into, e.Supersession.CurrentNhsNumber);
        Assert.Empty(e.ReturnedCategories);
    }
}
