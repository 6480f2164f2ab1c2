using System.Text;
using Google.Rpc;
using Grpc.Core;
using Lcr.Clinical.V1;
using Lcr.Common.V1;

namespace Lcr.Clinical.Tests;

public class ContributionTests(ClinicalHost host) : IClassFixture<ClinicalHost>
{
    private ClinicalRecordService.ClinicalRecordServiceClient Client => host.Client;

    [Fact]
    public async Task Sending_the_same_batch_twice_changes_nothing()
    {
        var nhs = ClinicalHost.NewNhsNumber();
        var batch = new[]
        {
            Make.Problem(nhs, "p1"), Make.Medication(nhs, "m1"), Make.Allergy(nhs, "a1"),
            Make.Result(nhs, "r1", 48, Make.At(2026, 5, 1)), Make.Document(nhs, "d1", "Discharged home."u8.ToArray()),
        };
        var first = await host.ContributeAsync("B86001", batch);
        Assert.All(first.Results, r => Assert.Equal(UpsertOutcome.Created, r.Outcome));
        Assert.All(first.Results, r => Assert.Equal(1, r.Version));
        var version = (await host.SummaryAsync(nhs)).RecordVersion;

        var second = await host.ContributeAsync("B86001", batch);
        Assert.All(second.Results, r => Assert.Equal(UpsertOutcome.Unchanged, r.Outcome));
        Assert.Equal(first.Results.Select(r => r.EntryId), second.Results.Select(r => r.EntryId));
        Assert.Equal(5L, await host.CountAsync("entries", nhs));
        Assert.Equal(5L, await host.CountAsync("entry_versions", nhs));
        Assert.Equal(1L, await host.Database.ScalarAsync("select count(*) from document_contents"
            + " where entry_id = (select id from entries where nhs_number = @n and category = 6)", ("n", nhs)));
        Assert.Equal(version, (await host.SummaryAsync(nhs)).RecordVersion);
    }

    [Fact]
    public async Task A_changed_item_makes_a_new_version_and_keeps_the_old_one_in_history()
    {
        var nhs = ClinicalHost.NewNhsNumber();
        var created = (await host.ContributeAsync("B86001", Make.Problem(nhs, "p-change"))).Results[0];

        var resolved = Make.Problem(nhs, "p-change", status: ProblemClinicalStatus.Resolved);
        resolved.Entry.Problem.ResolutionDate = Make.Date(2024, 1, 1);
        var updated = (await host.ContributeAsync("B86001", resolved, Make.Medication(nhs, "m-other"))).Results;
        Assert.Equal(UpsertOutcome.Updated, updated[0].Outcome);
        Assert.Equal(2, updated[0].Version);
        Assert.Equal(created.EntryId, updated[0].EntryId);
        Assert.Equal(UpsertOutcome.Created, updated[1].Outcome);

        var entry = (await Client.GetEntryAsync(new GetEntryRequest { NhsNumber = nhs, EntryId = created.EntryId })).Entry;
        Assert.Equal(EntryStatus.Inactive, entry.Status);
        Assert.Equal("B86001", entry.Provenance.SourceOrganisation.OdsCode);
        Assert.Equal("TestSystem", entry.Provenance.SourceSystem);
        Assert.Equal(nhs + "/p-change", entry.Provenance.SourceEntryId);

        var history = (await Client.ListEntryHistoryAsync(new ListEntryHistoryRequest { NhsNumber = nhs, EntryId = created.EntryId })).Versions;
        Assert.Equal([2L, 1L], history.Select(h => h.Version));
        Assert.Equal(ProblemClinicalStatus.Resolved, history[0].Problem.ClinicalStatus);
        Assert.Equal(ProblemClinicalStatus.Active, history[1].Problem.ClinicalStatus);
    }

    [Fact]
    public async Task A_stale_expected_version_is_aborted_naming_the_item_and_writes_nothing()
    {
        var nhs = ClinicalHost.NewNhsNumber();
        await host.ContributeAsync("B86001", Make.Problem(nhs, "p-stale"));
        var v2 = Make.Problem(nhs, "p-stale", status: ProblemClinicalStatus.Inactive);
        v2.ExpectedVersion = 1;
        Assert.Equal(2, (await host.ContributeAsync("B86001", v2)).Results[0].Version);

        var fromV1 = Make.Problem(nhs, "p-stale", status: ProblemClinicalStatus.Resolved);
        fromV1.ExpectedVersion = 1;
        var e = await RpcAssert.Fails(StatusCode.Aborted, () => host.ContributeAsync("B86001", Make.Medication(nhs, "m-new"), fromV1));
        var info = e.GetRpcStatus()!.GetDetail<ErrorInfo>();
        Assert.Equal("STALE_VERSION", info.Reason);
        Assert.Equal("1", info.Metadata["entries"]);

        // All or nothing: the good item of the failed batch was not written either.
        Assert.Equal(1L, await host.CountAsync("entries", nhs));
        Assert.Equal(2L, await host.CountAsync("entry_versions", nhs));
    }

    [Fact]
    public async Task Concurrent_writers_from_one_read_one_wins_the_other_is_aborted()
    {
        var nhs = ClinicalHost.NewNhsNumber();
        await host.ContributeAsync("B86001", Make.Problem(nhs, "p-race"));
        var outcomes = await Task.WhenAll(new[] { ProblemClinicalStatus.Resolved, ProblemClinicalStatus.Inactive }.Select(async s =>
        {
            var item = Make.Problem(nhs, "p-race", status: s);
            item.ExpectedVersion = 1;
            try
            {
                await host.ContributeAsync("B86001", item);
                return StatusCode.OK;
            }
            catch (RpcException ex)
            {
                return ex.StatusCode;
            }
        }));
        Assert.Equal([StatusCode.OK, StatusCode.Aborted], outcomes.Order());
        Assert.Equal(2L, await host.CountAsync("entry_versions", nhs));
    }

    [Fact]
    public async Task Concurrent_identical_resends_create_one_entry()
    {
        var nhs = ClinicalHost.NewNhsNumber();
        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => host.ContributeAsync("B86001", Make.Problem(nhs, "p-dup"))));
        Assert.Single(results.Select(r => r.Results[0].EntryId).Distinct());
        Assert.Single(results, r => r.Results[0].Outcome == UpsertOutcome.Created);
        Assert.Equal(1L, await host.CountAsync("entries", nhs));
        Assert.Equal(1L, await host.CountAsync("entry_versions", nhs));
    }

    [Fact]
    public async Task Retraction_hides_the_entry_from_every_view_and_keeps_its_history()
    {
        var nhs = ClinicalHost.NewNhsNumber();
        var results = (await host.ContributeAsync("RR8", Make.Problem(nhs, "p-wrong"), Make.Problem(nhs, "p-right", "44054006", "Diabetes mellitus type 2"),
            Make.Document(nhs, "d-wrong", "Letter for somebody else"u8.ToArray()))).Results;
        var wrong = results[0].EntryId;
        var doc = results[2].EntryId;
        Assert.Equal(2, (await host.SummaryAsync(nhs)).ActiveProblems.Count);

        var retracted = (await Client.RetractEntryAsync(new RetractEntryRequest
        {
            NhsNumber = nhs, EntryId = wrong, Reason = "Recorded against the wrong patient", ExpectedVersion = 1,
        }, ClinicalHost.Feed("RR8"))).Entry;
        Assert.True(retracted.EnteredInError);
        Assert.Equal(2, retracted.Version);
        await Client.RetractEntryAsync(new RetractEntryRequest { NhsNumber = nhs, EntryId = doc, Reason = "Wrong patient" }, ClinicalHost.Feed("RR8"));

        var summary = await host.SummaryAsync(nhs);
        Assert.Equal("44054006", Assert.Single(summary.ActiveProblems).Code.Code);
        Assert.Empty(summary.RecentDocuments);
        Assert.Equal(1, Assert.Single(summary.CategoryCounts).Count);
        var listed = (await Client.ListEntriesAsync(new ListEntriesRequest { NhsNumber = nhs })).Entries;
        Assert.DoesNotContain(listed, e => e.Id == wrong || e.Id == doc);
        await RpcAssert.Fails(StatusCode.NotFound, async () =>
            await Client.GetDocumentContentAsync(new GetDocumentContentRequest { NhsNumber = nhs, EntryId = doc }));

        // GetEntry still explains why it vanished; history keeps both versions.
        var got = (await Client.GetEntryAsync(new GetEntryRequest { NhsNumber = nhs, EntryId = wrong })).Entry;
        Assert.True(got.EnteredInError);
        Assert.Equal("Recorded against the wrong patient", got.RetractionReason);
        var history = (await Client.ListEntryHistoryAsync(new ListEntryHistoryRequest { NhsNumber = nhs, EntryId = wrong })).Versions;
        Assert.Equal([true, false], history.Select(h => h.EnteredInError));

        // Idempotent; and a re-send under the same source id is refused, not resurrected.
        Assert.Equal(2, (await Client.RetractEntryAsync(new RetractEntryRequest { NhsNumber = nhs, EntryId = wrong, Reason = "again" },
            ClinicalHost.Feed("RR8"))).Entry.Version);
        var e = await RpcAssert.Fails(StatusCode.FailedPrecondition, () => host.ContributeAsync("RR8", Make.Problem(nhs, "p-wrong")));
        Assert.Equal("ENTRY_RETRACTED", e.GetRpcStatus()!.GetDetail<ErrorInfo>().Reason);
    }

    [Fact]
    public async Task Only_the_contributing_organisation_may_write_or_retract_in_its_name()
    {
        var nhs = ClinicalHost.NewNhsNumber();
        var request = new UpsertEntriesRequest { SourceOrganisationOdsCode = "RR8", SourceSystem = "PPM+", Entries = { Make.Problem(nhs, "p-x") } };
        var e = await RpcAssert.Fails(StatusCode.PermissionDenied, async () => await Client.UpsertEntriesAsync(request, ClinicalHost.Feed("B86001")));
        Assert.Equal("SOURCE_ORGANISATION_MISMATCH", e.GetRpcStatus()!.GetDetail<ErrorInfo>().Reason);
        await RpcAssert.Fails(StatusCode.Unauthenticated, async () => await Client.UpsertEntriesAsync(request));
        Assert.Equal(0L, await host.CountAsync("entries", nhs));

        var id = (await host.ContributeAsync("RR8", Make.Problem(nhs, "p-x"))).Results[0].EntryId;
        await RpcAssert.Fails(StatusCode.PermissionDenied, async () => await Client.RetractEntryAsync(
            new RetractEntryRequest { NhsNumber = nhs, EntryId = id, Reason = "not mine" }, ClinicalHost.Feed("B86001")));
        await RpcAssert.Fails(StatusCode.NotFound, async () => await Client.GetEntryAsync(
            new GetEntryRequest { NhsNumber = ClinicalHost.NewNhsNumber(), EntryId = id }));
    }

    [Fact]
    public async Task The_same_source_id_from_two_organisations_is_two_entries()
    {
        var nhs = ClinicalHost.NewNhsNumber();
        var a = (await host.ContributeAsync("B86001", Make.Problem(nhs, "shared-id"))).Results[0];
        var b = (await host.ContributeAsync("RR8", Make.Problem(nhs, "shared-id"))).Results[0];
        Assert.NotEqual(a.EntryId, b.EntryId);
        Assert.Equal(UpsertOutcome.Created, b.Outcome);
    }

    [Fact]
    public async Task Document_content_is_stored_apart_and_a_new_content_makes_a_new_version()
    {
        var nhs = ClinicalHost.NewNhsNumber();
        var id = (await host.ContributeAsync("RR8", Make.Document(nhs, "d-1", "First draft"u8.ToArray()))).Results[0].EntryId;
        var entry = (await Client.GetEntryAsync(new GetEntryRequest { NhsNumber = nhs, EntryId = id })).Entry;
        Assert.Equal("text/plain", entry.Document.ContentType);
        Assert.Equal(11, entry.Document.SizeBytes);

        // Metadata only (no content): keeps the content, unchanged.
        var metadataOnly = Make.Document(nhs, "d-1", []);
        metadataOnly.DocumentContent = null;
        Assert.Equal(UpsertOutcome.Unchanged, (await host.ContributeAsync("RR8", metadataOnly)).Results[0].Outcome);

        var pdf = Encoding.ASCII.GetBytes("%PDF-1.7\n% synthetic\n");
        var v2 = (await host.ContributeAsync("RR8", Make.Document(nhs, "d-1", pdf, contentType: "application/pdf"))).Results[0];
        Assert.Equal(UpsertOutcome.Updated, v2.Outcome);
        var content = await Client.GetDocumentContentAsync(new GetDocumentContentRequest { NhsNumber = nhs, EntryId = id });
        Assert.Equal("application/pdf", content.Content.ContentType);
        Assert.Equal(pdf, content.Content.Data.ToByteArray());
        Assert.Equal(2, content.EntryVersion);

        var notDoc = (await host.ContributeAsync("RR8", Make.Problem(nhs, "p-1"))).Results[0].EntryId;
        await RpcAssert.InvalidFields(async () => await Client.GetDocumentContentAsync(
            new GetDocumentContentRequest { NhsNumber = nhs, EntryId = notDoc }), "entry_id");
    }
}
