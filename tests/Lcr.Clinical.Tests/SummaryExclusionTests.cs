using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Lcr.Testing;

namespace Lcr.Clinical.Tests;

/// <summary>GetRecordSummary with exclusions, against the real PostgreSQL and Redis.</summary>
public class SummaryExclusionTests(ClinicalHost host) : IClassFixture<ClinicalHost>
{
    private ClinicalRecordService.ClinicalRecordServiceClient Client => host.Client;

    private async Task<RecordSummary> SummaryAsync(string nhs, Action<GetRecordSummaryRequest> exclusions)
    {
        var request = new GetRecordSummaryRequest { NhsNumber = nhs };
        exclusions(request);
        return (await Client.GetRecordSummaryAsync(request)).Summary;
    }

    /// <summary>Ground truth: every entry ListEntries gives with the same exclusions, counted per category.</summary>
    private async Task<Dictionary<RecordCategory, int>> ListedCountsAsync(string nhs, IEnumerable<string> excludedIds, string[] excludedOrgs, bool includeSensitive)
    {
        var counts = new Dictionary<RecordCategory, int>();
        var token = string.Empty;
        do
        {
            var page = await Client.ListEntriesAsync(new ListEntriesRequest
            {
                NhsNumber = nhs, ExcludedEntryIds = { excludedIds }, ExcludedSourceOrganisationOdsCodes = { excludedOrgs },
                IncludeSensitive = includeSensitive, PageSize = 200, PageToken = token,
            });
            foreach (var e in page.Entries)
            {
                counts[e.Category] = counts.GetValueOrDefault(e.Category) + 1;
            }

            token = page.NextPageToken;
        }
        while (token.Length > 0);
        return counts;
    }

    [Fact]
    public async Task Counts_leave_out_any_number_of_excluded_entries_exactly_and_the_cache_still_serves()
    {
        var nhs = ClinicalHost.NewNhsNumber();
        var problems = (await host.ContributeAsync("B86001", Enumerable.Range(0, 70)
            .Select(i => Make.Problem(nhs, $"p-{i}", onset: Make.Date(2000 + (i % 25), 1 + (i % 12), 1))).ToArray())).Results.Select(r => r.EntryId).ToList();
        var medications = (await host.ContributeAsync("RR8", Enumerable.Range(0, 10)
            .Select(i => Make.Medication(nhs, $"m-{i}", start: Make.Date(2020, 1 + i, 1))).ToArray())).Results.Select(r => r.EntryId).ToList();
        var sensitive = Make.Problem(nhs, "p-sensitive", "105629000", "Chlamydial infection");
        sensitive.Entry.Sensitivity = Sensitivity.Sensitive;
        await host.ContributeAsync("B86001", sensitive);
        await host.ContributeAsync("RY6", Make.Allergy(nhs, "a-ry6"), Make.Document(nhs, "d-ry6", "x"u8.ToArray()));

        // 61 individually excluded entries (more than the 50 the gateway used to look up), one organisation, sensitive entries.
        var excluded = problems.Take(60).Append(medications[3]).ToList();
        void Exclusions(GetRecordSummaryRequest r)
        {
            r.ExcludedEntryIds.AddRange(excluded);
            r.ExcludedSourceOrganisationOdsCodes.Add("ry6");
            r.ExcludeSensitive = true;
        }

        var computations = host.Counter("lcr.clinical.summary.computations");
        var unfiltered = await host.SummaryAsync(nhs);
        Assert.Equal(71, unfiltered.CategoryCounts.Single(c => c.Category == RecordCategory.Problems).Count);

        var filtered = await SummaryAsync(nhs, Exclusions);
        Assert.Equal([(RecordCategory.Problems, 10), (RecordCategory.Medications, 9)], filtered.CategoryCounts.Select(c => (c.Category, c.Count)));
        var truth = await ListedCountsAsync(nhs, excluded, ["RY6"], includeSensitive: false);
        Assert.Equal(truth.OrderBy(t => t.Key).Select(t => (t.Key, t.Value)), filtered.CategoryCounts.Select(c => (c.Category, c.Count)));
        Assert.Equal(filtered.CategoryCounts.Sum(c => c.Count), filtered.EntryCounts.Sum(c => c.Count));
        Assert.DoesNotContain(filtered.EntryCounts, c => c.SourceOrganisationOdsCode == "RY6" || c.Sensitivity == Sensitivity.Sensitive);

        var listed = filtered.ActiveProblems.Concat(filtered.CurrentMedications).Concat(filtered.Allergies).Concat(filtered.RecentDocuments).ToList();
        Assert.DoesNotContain(listed, e => excluded.Contains(e.Id) || e.Sensitivity == Sensitivity.Sensitive ||
            e.Provenance.SourceOrganisation.OdsCode == "RY6");
        Assert.Equal(problems.Skip(60).Order(), filtered.ActiveProblems.Select(e => e.Id).Order());
        Assert.Equal(9, filtered.CurrentMedications.Count);
        Assert.Empty(filtered.Allergies);
        Assert.Empty(filtered.RecentDocuments);
        Assert.Equal(unfiltered.RecordVersion, filtered.RecordVersion);

        // Built on the cached unfiltered summary: no further computation, and a repeat is a memory hit.
        Assert.Equal(computations + 1, host.Counter("lcr.clinical.summary.computations"));
        var hits = host.Counter("lcr.clinical.summary_cache.hits|memory-filtered");
        Assert.Equal(filtered, await SummaryAsync(nhs, Exclusions));
        Assert.Equal(hits + 1, host.Counter("lcr.clinical.summary_cache.hits|memory-filtered"));
        Assert.Equal(computations + 1, host.Counter("lcr.clinical.summary.computations"));

        // Thousands of excluded ids in one call (most of them not this patient's): the same exact answer.
        var many = await SummaryAsync(nhs, r =>
        {
            Exclusions(r);
            r.ExcludedEntryIds.AddRange(Enumerable.Range(0, 5000).Select(_ => Guid.NewGuid().ToString()));
        });
        Assert.Equal(filtered.CategoryCounts, many.CategoryCounts);
        Assert.Equal(filtered.ActiveProblems, many.ActiveProblems);
    }

    [Fact]
    public async Task Counts_with_exclusions_follow_every_contribution_and_retraction()
    {
        var nhs = ClinicalHost.NewNhsNumber();
        var ids = (await host.ContributeAsync("B86001", Enumerable.Range(0, 8)
            .Select(i => Make.Problem(nhs, $"p-{i}", onset: Make.Date(2010 + i, 1, 1))).ToArray())).Results.Select(r => r.EntryId).ToList();
        var excluded = ids.Take(5).ToList();
        async Task<int> ProblemsAsync() =>
            (await SummaryAsync(nhs, r => r.ExcludedEntryIds.AddRange(excluded))).CategoryCounts.SingleOrDefault(c => c.Category == RecordCategory.Problems)?.Count ?? 0;

        Assert.Equal(3, await ProblemsAsync());
        await host.ContributeAsync("B86001", Make.Problem(nhs, "p-new"));
        Assert.Equal(4, await ProblemsAsync());

        // Retracting an excluded entry changes nothing the caller sees; retracting a visible one does.
        await Client.RetractEntryAsync(new RetractEntryRequest { NhsNumber = nhs, EntryId = excluded[0], Reason = "wrong patient" }, ClinicalHost.Feed());
        Assert.Equal(4, await ProblemsAsync());
        await Client.RetractEntryAsync(new RetractEntryRequest { NhsNumber = nhs, EntryId = ids[6], Reason = "wrong patient" }, ClinicalHost.Feed());
        Assert.Equal(3, await ProblemsAsync());
    }

    [Fact]
    public async Task A_list_that_loses_entries_to_exclusions_is_filled_from_the_rest()
    {
        var nhs = ClinicalHost.NewNhsNumber();
        var documents = (await host.ContributeAsync("B86001", Enumerable.Range(0, 25)
            .Select(i => Make.Document(nhs, $"d-{i}", "x"u8.ToArray(), Make.At(2020, 1, 1 + i), $"Letter {i}")).ToArray())).Results.Select(r => r.EntryId).ToList();
        var older = (await host.ContributeAsync("B86001", Make.Result(nhs, "hba1c-2024", 58, Make.At(2024, 3, 1)))).Results[0].EntryId;
        var newer = (await host.ContributeAsync("RR8", Make.Result(nhs, "hba1c-2026", 48, Make.At(2026, 3, 1)))).Results[0].EntryId;
        Assert.Equal(newer, Assert.Single((await host.SummaryAsync(nhs)).LatestResults).Id);

        // The three newest documents excluded: the 20 listed are the next 20, newest first.
        var withoutNewest = await SummaryAsync(nhs, r => r.ExcludedEntryIds.AddRange(documents.TakeLast(3)));
        Assert.Equal(Enumerable.Range(2, 20).Reverse().Select(i => documents[i]), withoutNewest.RecentDocuments.Select(d => d.Id));
        Assert.Equal(22, withoutNewest.CategoryCounts.Single(c => c.Category == RecordCategory.Documents).Count);

        // The latest result excluded (by id or by its organisation): the one before it is the latest.
        Assert.Equal(older, Assert.Single((await SummaryAsync(nhs, r => r.ExcludedEntryIds.Add(newer))).LatestResults).Id);
        Assert.Equal(older, Assert.Single((await SummaryAsync(nhs, r => r.ExcludedSourceOrganisationOdsCodes.Add("RR8"))).LatestResults).Id);

        // A whole category excluded: nothing of it, no count.
        var noDocuments = await SummaryAsync(nhs, r => r.ExcludedCategories.Add(RecordCategory.Documents));
        Assert.Empty(noDocuments.RecentDocuments);
        Assert.DoesNotContain(noDocuments.CategoryCounts, c => c.Category == RecordCategory.Documents);
        Assert.Single(noDocuments.LatestResults);
    }

    [Fact]
    public async Task Bad_exclusions_are_invalid_argument_naming_each_field()
    {
        var nhs = ClinicalHost.NewNhsNumber();
        await RpcAssert.InvalidFields(async () => await Client.GetRecordSummaryAsync(new GetRecordSummaryRequest
        {
            NhsNumber = nhs,
            ExcludedEntryIds = { "not-an-entry-id" },
            ExcludedSourceOrganisationOdsCodes = { "x" },
            ExcludedCategories = { RecordCategory.Unspecified },
        }), "excluded_entry_ids[0]", "excluded_source_organisation_ods_codes[0]", "excluded_categories[0]");
        await RpcAssert.InvalidFields(async () => await Client.GetRecordSummaryAsync(new GetRecordSummaryRequest
        {
            NhsNumber = nhs,
            ExcludedEntryIds = { Enumerable.Range(0, 10_001).Select(_ => Guid.NewGuid().ToString()) },
        }), "excluded_entry_ids");
    }
}
