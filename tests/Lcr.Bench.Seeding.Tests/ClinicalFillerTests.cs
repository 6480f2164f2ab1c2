using System.Security.Cryptography;
using Lcr.Clinical.V1;
using Lcr.Common.V1;

namespace Lcr.Bench.Seeding.Tests;

public class ClinicalFillerTests(ClinicalHost host) : IClassFixture<ClinicalHost>
{
    private const int Entries = 50;

    private async Task FillAsync(int patients)
    {
        await using var source = host.DataSource();
        await BulkLoader.FillAsync(new ClinicalFiller(Entries), source, patients, Feeds.Small, TextWriter.Null);
    }

    [Fact]
    public async Task Bulk_loaded_entries_are_unchanged_when_their_feeds_send_them_again()
    {
        await FillAsync(3);
        var patient = FillerCohort.First(3)[1];
        var before = (await host.Client.GetRecordSummaryAsync(new GetRecordSummaryRequest { NhsNumber = patient.NhsNumber })).Summary.RecordVersion;

        foreach (var feed in FillerRecords.For(patient, Entries).GroupBy(c => (c.Ods, c.SourceSystem)))
        {
            var request = new UpsertEntriesRequest { SourceOrganisationOdsCode = feed.Key.Ods, SourceSystem = feed.Key.SourceSystem };
            request.Entries.AddRange(feed.Select(c => c.Contribution));
            var response = await host.Client.UpsertEntriesAsync(request, Feeds.Of(feed.Key.Ods));
            Assert.All(response.Results, r => Assert.Equal(UpsertOutcome.Unchanged, r.Outcome));
            Assert.All(response.Results, r => Assert.Equal(1, r.Version));
        }

        var after = (await host.Client.GetRecordSummaryAsync(new GetRecordSummaryRequest { NhsNumber = patient.NhsNumber })).Summary.RecordVersion;
        Assert.Equal(before, after);
    }

    [Fact]
    public async Task Bulk_loaded_records_read_back_through_the_service_in_every_category()
    {
        await FillAsync(3);
        var nhs = FillerCohort.First(3)[2].NhsNumber;

        var summary = (await host.Client.GetRecordSummaryAsync(new GetRecordSummaryRequest { NhsNumber = nhs })).Summary;
        Assert.Equal(Entries, summary.CategoryCounts.Sum(c => c.Count));
        Assert.Equal(
            [RecordCategory.Problems, RecordCategory.Medications, RecordCategory.Allergies, RecordCategory.TestResults, RecordCategory.Documents],
            summary.CategoryCounts.Select(c => c.Category));
        Assert.NotEmpty(summary.ActiveProblems);
        Assert.NotEmpty(summary.CurrentMedications);
        Assert.NotEmpty(summary.LatestResults);
        Assert.NotEmpty(summary.RecentDocuments);

        var medications = await host.Client.ListEntriesAsync(new ListEntriesRequest { NhsNumber = nhs, Categories = { RecordCategory.Medications }, PageSize = 20 });
        Assert.Equal(12, medications.Entries.Count);

        var document = summary.RecentDocuments[0];
        var content = await host.Client.GetDocumentContentAsync(new GetDocumentContentRequest { NhsNumber = nhs, EntryId = document.Id });
        Assert.Equal("text/plain", content.Content.ContentType);
        Assert.Equal(document.Document.SizeBytes, content.Content.Data.Length);

        var history = (await host.Client.ListEntryHistoryAsync(new ListEntryHistoryRequest { NhsNumber = nhs, EntryId = document.Id })).Versions;
        var only = Assert.Single(history);
        Assert.Equal(1, only.Version);
        Assert.Equal(document.Provenance.SourceEntryId, only.Provenance.SourceEntryId);
        Assert.Equal("RR8", only.Provenance.SourceOrganisation.OdsCode);
    }

    [Fact]
    public async Task A_larger_fill_adds_only_the_missing_patients()
    {
        await FillAsync(3);
        await using var source = host.DataSource();
        var report = await BulkLoader.FillAsync(new ClinicalFiller(Entries), source, 5, Feeds.Small, TextWriter.Null);
        Assert.Equal(3, report.Present);
        Assert.Equal(2, report.Added);
        Assert.Equal(2L * Entries, report.MainRows);

        var again = await BulkLoader.FillAsync(new ClinicalFiller(Entries), source, 5, Feeds.Small, TextWriter.Null);
        Assert.Equal(0, again.Added);
        Assert.Equal(5L * Entries, await host.Database.ScalarAsync("select count(*) from entries where nhs_number >= @n", ("n", FillerCohort.LowestNhsNumber)));
        Assert.Equal(5L * Entries, await host.Database.ScalarAsync("select count(*) from entry_versions where nhs_number >= @n", ("n", FillerCohort.LowestNhsNumber)));
    }
}

public class FillerCohortTests
{
    [Fact]
    public void Filler_nhs_numbers_are_distinct_valid_test_range_numbers_above_the_cohort()
    {
        var all = FillerCohort.First(FillerCohort.Capacity);
        Assert.InRange(FillerCohort.Capacity, 890_000, 910_000);
        Assert.All(all, p => Assert.True(Lcr.ServiceDefaults.NhsNumber.IsValid(p.NhsNumber) && p.NhsNumber.StartsWith("999", StringComparison.Ordinal)));
        Assert.Equal(all.Count, all.Select(p => p.NhsNumber).Distinct().Count());
        var cohortTop = Lcr.ServiceDefaults.DevData.SyntheticCohort.Patients.Select(p => p.NhsNumber).Max(StringComparer.Ordinal)!;
        Assert.True(string.CompareOrdinal(all[0].NhsNumber, cohortTop) > 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => FillerCohort.First(FillerCohort.Capacity + 1));
    }

    [Fact]
    public void A_short_record_still_holds_several_categories()
    {
        var categories = FillerRecords.For(FillerCohort.First(1)[0], 5).Select(c => c.Contribution.Entry.Category).Distinct().Count();
        Assert.True(categories >= 3, $"{categories} categories in 5 entries");
    }
}
