using Grpc.Core;
using Lcr.Clinical.V1;
using Lcr.Common.V1;

namespace Lcr.Clinical.Tests;

public class ValidationTests(ClinicalHost host) : IClassFixture<ClinicalHost>
{
    private ClinicalRecordService.ClinicalRecordServiceClient Client => host.Client;

    private async Task NothingWritten(string nhs)
    {
        Assert.Equal(0L, await host.CountAsync("entries", nhs));
        Assert.Equal(0L, await host.CountAsync("entry_versions", nhs));
        Assert.Equal(0L, await host.CountAsync("patient_records", nhs));
    }

    [Fact]
    public async Task Unknown_category_and_missing_code_are_named_per_item_and_nothing_is_written()
    {
        var nhs = ClinicalHost.NewNhsNumber();
        var unknown = Make.Problem(nhs, "p-unknown");
        unknown.Entry.Category = (RecordCategory)42;
        var demographics = Make.Problem(nhs, "p-demo");
        demographics.Entry.Category = RecordCategory.Demographics;
        var noCode = Make.Medication(nhs, "m-nocode");
        noCode.Entry.Code.Code = "";
        var mismatch = Make.Allergy(nhs, "a-mismatch");
        mismatch.Entry.Category = RecordCategory.Problems;
        var badOnset = Make.Problem(nhs, "p-onset", onset: Make.Date(2023, 2, 29));

        await RpcAssert.InvalidFields(() => host.ContributeAsync("B86001", Make.Problem(nhs, "p-good"), unknown, demographics, noCode, mismatch, badOnset),
            "entries[1].entry.category", "entries[2].entry.category", "entries[3].entry.code.code", "entries[4].entry.category",
            "entries[5].entry.problem.onset_date");
        await NothingWritten(nhs);
    }

    [Fact]
    public async Task Category_detail_rules_name_the_field()
    {
        var nhs = ClinicalHost.NewNhsNumber();
        var noDetail = Make.Problem(nhs, "p-nodetail");
        noDetail.Entry.ClearDetail();
        var resolvedBeforeOnset = Make.Problem(nhs, "p-dates", status: ProblemClinicalStatus.Resolved, onset: Make.Date(2020, 5, 1));
        resolvedBeforeOnset.Entry.Problem.ResolutionDate = Make.Date(2019, 1, 1);
        var noValue = Make.Result(nhs, "r-novalue", 1, Make.At(2026, 1, 1));
        noValue.Entry.TestResult.ClearValue();
        var noUnit = Make.Result(nhs, "r-nounit", 48, Make.At(2026, 1, 1), unit: "");
        var future = Make.Result(nhs, "r-future", 48, Make.At(DateTime.UtcNow.Year + 2, 1, 1));
        var noStatus = Make.Medication(nhs, "m-nostatus", status: MedicationStatus.Unspecified);
        var noVerification = Make.Allergy(nhs, "a-noverify", verification: AllergyVerificationStatus.Unspecified);
        var badNhs = Make.Problem("9990000000", "p-badnhs");
        var noSourceId = Make.Problem(nhs, "");
        var duplicate = Make.Problem(nhs, "p-dates");

        await RpcAssert.InvalidFields(() => host.ContributeAsync("B86001",
                noDetail, resolvedBeforeOnset, noValue, noUnit, future, noStatus, noVerification, badNhs, noSourceId, duplicate),
            "entries[0].entry.problem", "entries[1].entry.problem.resolution_date", "entries[2].entry.test_result.value",
            "entries[3].entry.test_result.quantity.unit", "entries[4].entry.test_result.effective_time", "entries[5].entry.medication.status",
            "entries[6].entry.allergy.verification_status", "entries[7].entry.nhs_number", "entries[8].entry.provenance.source_entry_id",
            "entries[9].entry.provenance.source_entry_id");
        await NothingWritten(nhs);
    }

    [Fact]
    public async Task An_oversized_batch_is_refused_naming_entries()
    {
        var nhs = ClinicalHost.NewNhsNumber();
        var batch = Enumerable.Range(0, 101).Select(i => Make.Problem(nhs, $"p-{i}")).ToArray();
        await RpcAssert.InvalidFields(() => host.ContributeAsync("B86001", batch), "entries");
        await NothingWritten(nhs);
        await RpcAssert.InvalidFields(() => host.ContributeAsync("B86001"), "entries");

        // The limit itself is accepted.
        Assert.Equal(100, (await host.ContributeAsync("B86001", batch[..100])).Results.Count);
    }

    [Fact]
    public async Task An_oversized_or_malformed_document_is_refused_naming_the_content_and_nothing_is_written()
    {
        var nhs = ClinicalHost.NewNhsNumber();
        var big = Make.Document(nhs, "d-big", new byte[(10 * 1024 * 1024) + 1]);
        var notPdf = Make.Document(nhs, "d-notpdf", "plain text"u8.ToArray(), contentType: "application/pdf");
        var wordDoc = Make.Document(nhs, "d-word", "x"u8.ToArray(), contentType: "application/msword");
        var noContent = Make.Document(nhs, "d-none", []);
        noContent.DocumentContent = null;
        var contentOnProblem = Make.Problem(nhs, "p-content");
        contentOnProblem.DocumentContent = new DocumentContent { ContentType = "text/plain", Data = Google.Protobuf.ByteString.CopyFromUtf8("x") };

        await RpcAssert.InvalidFields(() => host.ContributeAsync("RR8", big, notPdf, wordDoc, contentOnProblem),
            "entries[0].document_content.data", "entries[1].document_content.data", "entries[2].document_content.content_type",
            "entries[3].document_content");
        await RpcAssert.InvalidFields(() => host.ContributeAsync("RR8", Make.Problem(nhs, "p-ok"), noContent), "entries[1].document_content");
        await NothingWritten(nhs);
        Assert.Equal(0L, await host.Database.ScalarAsync("select count(*) from document_contents"));
    }

    [Fact]
    public async Task Request_level_fields_are_named()
    {
        var nhs = ClinicalHost.NewNhsNumber();
        await RpcAssert.InvalidFields(async () => await Client.UpsertEntriesAsync(new UpsertEntriesRequest
        {
            SourceOrganisationOdsCode = "", SourceSystem = new string('s', 101), Entries = { Make.Problem(nhs, "p") },
        }, ClinicalHost.Feed()), "source_organisation_ods_code", "source_system");
        await RpcAssert.InvalidFields(async () => await Client.GetRecordSummaryAsync(new GetRecordSummaryRequest { NhsNumber = "123" }), "nhs_number");
        await RpcAssert.InvalidFields(async () => await Client.ListEntriesAsync(new ListEntriesRequest
        {
            NhsNumber = nhs, Categories = { RecordCategory.Demographics }, Statuses = { EntryStatus.Unspecified }, PageSize = -1,
            ExcludedEntryIds = { "not-a-uuid" },
            ClinicalPeriod = new Period { StartTime = Make.At(2026, 1, 2), EndTime = Make.At(2026, 1, 1) },
        }), "categories[0]", "statuses[0]", "page_size", "excluded_entry_ids[0]", "clinical_period.end_time");
        await RpcAssert.InvalidFields(async () => await Client.RetractEntryAsync(new RetractEntryRequest { NhsNumber = nhs, EntryId = "x" },
            ClinicalHost.Feed()), "entry_id", "reason");
        await RpcAssert.InvalidFields(async () => await Client.GetEntryAsync(new GetEntryRequest { NhsNumber = nhs }), "entry_id");
    }

    [Fact]
    public async Task A_patient_with_no_entries_has_an_empty_summary_at_version_zero()
    {
        var summary = await host.SummaryAsync(ClinicalHost.NewNhsNumber());
        Assert.Equal(0, summary.RecordVersion);
        Assert.Empty(summary.ActiveProblems);
        Assert.Empty(summary.CategoryCounts);
    }
}
