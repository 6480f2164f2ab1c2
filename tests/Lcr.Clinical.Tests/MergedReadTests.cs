using Grpc.Core;
using Lcr.Clinical.V1;
using Lcr.Common.V1;

namespace Lcr.Clinical.Tests;

/// <summary>
/// Issue 21: reads of a merged record. <c>kept</c> is the number kept; <c>away</c> the number merged
/// into it (superseded), whose entries stay recorded under it; <c>other</c> is another patient.
/// </summary>
public class MergedReadTests(ClinicalHost host) : IClassFixture<ClinicalHost>
{
    private ClinicalRecordService.ClinicalRecordServiceClient Client => host.Client;

    private async Task<(string Kept, string Away, Dictionary<string, string> Ids)> MergedPairAsync()
    {
        var kept = ClinicalHost.NewNhsNumber();
        var away = ClinicalHost.NewNhsNumber();
        var ids = new Dictionary<string, string>(StringComparer.Ordinal);
        void Keep(UpsertEntriesResponse r)
        {
            foreach (var x in r.Results)
            {
                ids[x.SourceEntryId.Split('/')[1]] = x.EntryId;
            }
        }

        Keep(await host.ContributeAsync("B86003",
            Make.Problem(kept, "p-asthma", onset: Make.Date(2001, 1, 1)),
            Make.Medication(kept, "m-metformin", start: Make.Date(2019, 8, 1)),
            Make.Result(kept, "hba1c-old", 58, Make.At(2024, 3, 1)),
            Make.Alert(kept, "al-gp", severity: AlertSeverity.Medium, kind: AlertKind.Safeguarding, start: Make.Date(2025, 1, 1))));
        Keep(await host.ContributeAsync("RR8",
            Make.Problem(away, "p-ae-fracture", "263204007", "Fracture of ankle", onset: Make.Date(2026, 2, 1)),
            Make.Allergy(away, "a-latex", "111088007", "Latex"),
            Make.Result(away, "hba1c-new", 48, Make.At(2026, 3, 1)),
            Make.Document(away, "d-ae", "seen in A&E"u8.ToArray(), Make.At(2026, 2, 1), "Emergency department discharge letter"),
            Make.Alert(away, "al-airway", severity: AlertSeverity.High, start: Make.Date(2026, 2, 1))));
        return (kept, away, ids);
    }

    private async Task<RecordSummary> MergedSummaryAsync(string kept, string away, Action<GetRecordSummaryRequest>? more = null)
    {
        var request = new GetRecordSummaryRequest { NhsNumber = kept, MergedNhsNumbers = { away } };
        more?.Invoke(request);
        return (await Client.GetRecordSummaryAsync(request)).Summary;
    }

    [Fact]
    public async Task Merged_numbers_are_validated_and_named_on_every_read()
    {
        var kept = ClinicalHost.NewNhsNumber();
        var good = ClinicalHost.NewNhsNumber();
        string[] bad = ["9990000000", kept, good, good, ""];
        string[] fields = ["merged_nhs_numbers[0]", "merged_nhs_numbers[1]", "merged_nhs_numbers[3]", "merged_nhs_numbers[4]"];
        var id = Guid.NewGuid().ToString();
        await RpcAssert.InvalidFields(async () => await Client.GetRecordSummaryAsync(new GetRecordSummaryRequest { NhsNumber = kept, MergedNhsNumbers = { bad } }), fields);
        await RpcAssert.InvalidFields(async () => await Client.ListEntriesAsync(new ListEntriesRequest { NhsNumber = kept, MergedNhsNumbers = { bad } }), fields);
        await RpcAssert.InvalidFields(async () => await Client.GetEntryAsync(new GetEntryRequest { NhsNumber = kept, EntryId = id, MergedNhsNumbers = { bad } }), fields);
        await RpcAssert.InvalidFields(async () => await Client.GetDocumentContentAsync(new GetDocumentContentRequest
        {
            NhsNumber = kept, EntryId = id, MergedNhsNumbers = { bad },
        }), fields);
        await RpcAssert.InvalidFields(async () => await Client.ListEntryHistoryAsync(new ListEntryHistoryRequest
        {
            NhsNumber = kept, EntryId = id, MergedNhsNumbers = { bad },
        }), fields);

        var tooMany = Enumerable.Range(0, 51).Select(_ => ClinicalHost.NewNhsNumber()).ToArray();
        await RpcAssert.InvalidFields(async () => await Client.GetRecordSummaryAsync(new GetRecordSummaryRequest { NhsNumber = kept, MergedNhsNumbers = { tooMany } }),
            "merged_nhs_numbers");

        // The caller's text is never echoed.
        var e = await Assert.ThrowsAsync<RpcException>(async () =>
            await Client.ListEntriesAsync(new ListEntriesRequest { NhsNumber = kept, MergedNhsNumbers = { "<script>9990000000" } }));
        Assert.DoesNotContain("script", e.Status.Detail + e.Trailers.ToString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task The_merged_summary_combines_both_numbers_keeping_each_entrys_own_number()
    {
        var (kept, away, ids) = await MergedPairAsync();
        var own = await host.SummaryAsync(kept);
        var theirs = await host.SummaryAsync(away);
        var s = await MergedSummaryAsync(kept, away);

        Assert.Equal(kept, s.NhsNumber);
        Assert.Equal(own.RecordVersion + theirs.RecordVersion, s.RecordVersion);
        Assert.Equal([ids["p-ae-fracture"], ids["p-asthma"]], s.ActiveProblems.Select(e => e.Id)); // most recent onset first, across numbers
        Assert.Equal(away, s.ActiveProblems[0].NhsNumber); // provenance kept: recorded under the merged-away number
        Assert.Equal("RR8", s.ActiveProblems[0].Provenance.SourceOrganisation.OdsCode);
        Assert.Equal(kept, s.ActiveProblems[1].NhsNumber);
        Assert.Equal(ids["a-latex"], Assert.Single(s.Allergies).Id);
        Assert.Equal(ids["hba1c-new"], Assert.Single(s.LatestResults).Id); // the latest per test across both numbers
        Assert.Equal(ids["d-ae"], Assert.Single(s.RecentDocuments).Id);
        Assert.Equal([ids["al-airway"], ids["al-gp"]], s.Alerts.Select(e => e.Id)); // highest severity first
        Assert.Equal(
            [(RecordCategory.Problems, 2), (RecordCategory.Medications, 1), (RecordCategory.Allergies, 1), (RecordCategory.TestResults, 2),
                (RecordCategory.Documents, 1), (RecordCategory.RisksAndAlerts, 2)],
            s.CategoryCounts.Select(c => (c.Category, c.Count)));
        Assert.Equal(9, s.EntryCounts.Sum(c => c.Count));

        // Each number alone is unchanged; the merged-away entries never leak into the kept number's own summary.
        Assert.DoesNotContain((await host.SummaryAsync(kept)).ActiveProblems, e => e.NhsNumber == away);

        // Exclusions apply to the combined summary: an entry of the merged-away number, and an organisation.
        var filtered = await MergedSummaryAsync(kept, away, r => r.ExcludedEntryIds.Add(ids["hba1c-new"]));
        Assert.Equal(ids["hba1c-old"], Assert.Single(filtered.LatestResults).Id);
        Assert.Contains(filtered.CategoryCounts, c => c.Category == RecordCategory.TestResults && c.Count == 1);
        var withoutRr8 = await MergedSummaryAsync(kept, away, r => r.ExcludedSourceOrganisationOdsCodes.Add("RR8"));
        Assert.All(withoutRr8.ActiveProblems.Concat(withoutRr8.Alerts), e => Assert.Equal(kept, e.NhsNumber));
        Assert.Equal(4, withoutRr8.EntryCounts.Sum(c => c.Count));
    }

    [Fact]
    public async Task A_contribution_or_retraction_under_either_number_is_seen_by_the_next_merged_read()
    {
        var (kept, away, ids) = await MergedPairAsync();
        var before = await MergedSummaryAsync(kept, away);
        Assert.Equal(before, await MergedSummaryAsync(kept, away)); // served from the per-number caches

        await host.ContributeAsync("RR8", Make.Medication(away, "m-ae-codeine", "39720411000001107", "Co-codamol 30mg/500mg tablets", start: Make.Date(2026, 2, 1)));
        var after = await MergedSummaryAsync(kept, away);
        Assert.Equal(before.RecordVersion + 1, after.RecordVersion);
        Assert.Contains(after.CurrentMedications, m => m.NhsNumber == away);

        await host.Client.RetractEntryAsync(new RetractEntryRequest { NhsNumber = away, EntryId = ids["al-airway"], Reason = "wrong patient" }, ClinicalHost.Feed("RR8"));
        var retracted = await MergedSummaryAsync(kept, away);
        Assert.Equal(after.RecordVersion + 1, retracted.RecordVersion);
        Assert.Equal([ids["al-gp"]], retracted.Alerts.Select(a => a.Id));

        await host.ContributeAsync("B86003", Make.Allergy(kept, "a-pen"));
        Assert.Equal(2, (await MergedSummaryAsync(kept, away)).Allergies.Count);
    }

    [Fact]
    public async Task Lists_page_across_the_merged_set_with_tokens_bound_to_the_set()
    {
        var (kept, away, ids) = await MergedPairAsync();
        var other = ClinicalHost.NewNhsNumber();
        await host.ContributeAsync("RR8", Make.Problem(other, "p-other"));

        var all = new List<Entry>();
        var token = string.Empty;
        do
        {
            var page = await Client.ListEntriesAsync(new ListEntriesRequest { NhsNumber = kept, MergedNhsNumbers = { away }, PageSize = 2, PageToken = token });
            all.AddRange(page.Entries);
            token = page.NextPageToken;
            if (token.Length > 0)
            {
                // A token from another set (or none) is refused.
                await RpcAssert.InvalidFields(async () => await Client.ListEntriesAsync(new ListEntriesRequest { NhsNumber = kept, PageSize = 2, PageToken = token }),
                    "page_token");
            }
        }
        while (token.Length > 0);

        Assert.Equal(ids.Values.Order(), all.Select(e => e.Id).Order());
        Assert.Equal(all.OrderByDescending(e => e.ClinicalTime.ToDateTimeOffset()).Select(e => e.Id), all.Select(e => e.Id));
        Assert.Equal(5, all.Count(e => e.NhsNumber == away));
        Assert.Equal(4, (await Client.ListEntriesAsync(new ListEntriesRequest { NhsNumber = kept })).Entries.Count);

        var problems = await Client.ListEntriesAsync(new ListEntriesRequest
        {
            NhsNumber = kept, MergedNhsNumbers = { away }, Categories = { RecordCategory.Problems }, Statuses = { EntryStatus.Active },
        });
        Assert.Equal([ids["p-ae-fracture"], ids["p-asthma"]], problems.Entries.Select(e => e.Id));
    }

    [Fact]
    public async Task Get_content_and_history_find_entries_of_the_merged_set_and_nothing_outside_it()
    {
        var (kept, away, ids) = await MergedPairAsync();
        var other = ClinicalHost.NewNhsNumber();
        var otherId = (await host.ContributeAsync("RR8", Make.Problem(other, "p-other"))).Results[0].EntryId;
        var awayDoc = ids["d-ae"];

        var entry = (await Client.GetEntryAsync(new GetEntryRequest { NhsNumber = kept, EntryId = awayDoc, MergedNhsNumbers = { away } })).Entry;
        Assert.Equal(away, entry.NhsNumber);
        var content = await Client.GetDocumentContentAsync(new GetDocumentContentRequest { NhsNumber = kept, EntryId = awayDoc, MergedNhsNumbers = { away } });
        Assert.Equal("seen in A&E", content.Content.Data.ToStringUtf8());
        var history = await Client.ListEntryHistoryAsync(new ListEntryHistoryRequest { NhsNumber = kept, EntryId = awayDoc, MergedNhsNumbers = { away } });
        Assert.Equal(away, Assert.Single(history.Versions).NhsNumber);

        // Without the set, the merged-away entry is not the kept number's; outside the set, nothing is found.
        await RpcAssert.Fails(StatusCode.NotFound, async () => await Client.GetEntryAsync(new GetEntryRequest { NhsNumber = kept, EntryId = awayDoc }));
        await RpcAssert.Fails(StatusCode.NotFound, async () =>
            await Client.GetEntryAsync(new GetEntryRequest { NhsNumber = kept, EntryId = otherId, MergedNhsNumbers = { away } }));
        await RpcAssert.Fails(StatusCode.NotFound, async () =>
            await Client.GetDocumentContentAsync(new GetDocumentContentRequest { NhsNumber = kept, EntryId = awayDoc }));
        await RpcAssert.Fails(StatusCode.NotFound, async () =>
            await Client.ListEntryHistoryAsync(new ListEntryHistoryRequest { NhsNumber = kept, EntryId = otherId, MergedNhsNumbers = { away } }));
    }

    [Fact]
    public async Task Contributions_racing_merged_reads_lose_nothing_and_show_under_the_set()
    {
        var kept = ClinicalHost.NewNhsNumber();
        var away = ClinicalHost.NewNhsNumber();
        const int each = 12;
        var writers = Enumerable.Range(0, each).SelectMany(i => new[]
        {
            host.ContributeAsync("B86003", Make.Problem(kept, $"p-kept-{i}", onset: Make.Date(2010 + i, 1, 1))),
            host.ContributeAsync("RR8", Make.Problem(away, $"p-away-{i}", onset: Make.Date(2010 + i, 2, 1))),
        }).Cast<Task>().ToList();
        var readers = Enumerable.Range(0, 2 * each).Select(i => i % 2 == 0
            ? (Task)MergedSummaryAsync(kept, away)
            : Client.ListEntriesAsync(new ListEntriesRequest { NhsNumber = kept, MergedNhsNumbers = { away }, PageSize = 200 }).ResponseAsync).ToList();
        await Task.WhenAll(writers.Concat(readers));

        var s = await MergedSummaryAsync(kept, away);
        Assert.Equal(2 * each, s.ActiveProblems.Count);
        Assert.Equal(2 * each, s.RecordVersion);
        Assert.Equal(each, s.ActiveProblems.Count(e => e.NhsNumber == away));
        var list = await Client.ListEntriesAsync(new ListEntriesRequest { NhsNumber = kept, MergedNhsNumbers = { away }, PageSize = 200 });
        Assert.Equal(2 * each, list.Entries.Count);
    }
}
