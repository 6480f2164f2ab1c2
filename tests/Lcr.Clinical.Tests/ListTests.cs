using System.Diagnostics;
using Google.Protobuf;
using Grpc.Core;
using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Lcr.Testing;

namespace Lcr.Clinical.Tests;

public class ListTests(ClinicalHost host) : IClassFixture<ClinicalHost>
{
    private ClinicalRecordService.ClinicalRecordServiceClient Client => host.Client;

    [Fact]
    public async Task Pages_stay_stable_while_entries_are_added()
    {
        var nhs = ClinicalHost.NewNhsNumber();
        var batch = Enumerable.Range(0, 30).Select(i => Make.Result(nhs, $"r-{i}", i, Make.At(2025, 1, 1 + (i / 3), 8 + (i % 3)))).ToArray();
        // Three results share each instant: ties are ordered by id, never dropped or repeated.
        foreach (var r in batch.Where((_, i) => i % 3 == 0))
        {
            r.Entry.TestResult.EffectiveTime = Make.At(2025, 1, 15);
        }

        await host.ContributeAsync("RR8", batch);
        var expected = (await Client.ListEntriesAsync(new ListEntriesRequest { NhsNumber = nhs, PageSize = 200 })).Entries.Select(e => e.Id).ToList();
        Assert.Equal(30, expected.Count);

        var seen = new List<string>();
        var token = string.Empty;
        var page = 0;
        do
        {
            var response = await Client.ListEntriesAsync(new ListEntriesRequest { NhsNumber = nhs, PageSize = 7, PageToken = token });
            seen.AddRange(response.Entries.Select(e => e.Id));
            token = response.NextPageToken;
            if (page++ == 1)
            {
                // Newer and older entries arrive between pages: the pages already read do not shift.
                await host.ContributeAsync("RR8", Make.Result(nhs, "r-newest", 1, Make.At(2026, 6, 1)), Make.Result(nhs, "r-oldest", 1, Make.At(2020, 1, 1)));
            }
        }
        while (token.Length > 0);

        Assert.Equal(expected, seen.Take(30));
        Assert.Equal(31, seen.Count); // the older newcomer appears at the end, the newer one before the cursor is not repeated
        Assert.Equal(seen.Count, seen.Distinct().Count());
    }

    [Fact]
    public async Task Filters_select_by_category_status_period_organisation_entry_and_sensitivity()
    {
        var nhs = ClinicalHost.NewNhsNumber();
        var ids = (await host.ContributeAsync("B86001",
            Make.Problem(nhs, "p-active", onset: Make.Date(2020, 1, 1)),
            Make.Problem(nhs, "p-resolved", status: ProblemClinicalStatus.Inactive, onset: Make.Date(2010, 1, 1)),
            Make.Medication(nhs, "m-active", start: Make.Date(2021, 1, 1)))).Results.Select(r => r.EntryId).ToList();
        var sensitive = Make.Problem(nhs, "p-sensitive", "105629000", "Chlamydial infection", onset: Make.Date(2022, 1, 1));
        sensitive.Entry.Sensitivity = Sensitivity.Sensitive;
        var rgd = (await host.ContributeAsync("RGD", Make.Problem(nhs, "p-mh", "35489007", "Depressive disorder"))).Results[0].EntryId;
        var ry6 = (await host.ContributeAsync("RY6", sensitive)).Results[0].EntryId;

        async Task<List<string>> List(Action<ListEntriesRequest> filter)
        {
            var request = new ListEntriesRequest { NhsNumber = nhs };
            filter(request);
            return (await Client.ListEntriesAsync(request)).Entries.Select(e => e.Id).ToList();
        }

        Assert.Equal(4, (await List(_ => { })).Count); // sensitive left out by default
        Assert.Contains(ry6, await List(r => r.IncludeSensitive = true));
        Assert.Equal([ids[2]], await List(r => r.Categories.Add(RecordCategory.Medications)));
        Assert.Equal([ids[1]], await List(r => r.Statuses.Add(EntryStatus.Inactive)));
        Assert.Equal([ids[2], ids[0]], await List(r =>
            r.ClinicalPeriod = new Period { StartTime = Make.At(2019, 12, 31), EndTime = Make.At(2021, 1, 2) }));
        Assert.DoesNotContain(rgd, await List(r => r.ExcludedSourceOrganisationOdsCodes.Add("rgd")));
        Assert.DoesNotContain(ids[0], await List(r => r.ExcludedEntryIds.Add(ids[0])));
    }

    [Fact]
    public async Task Subject_access_listing_selects_one_organisation_and_includes_retracted_entries()
    {
        var nhs = ClinicalHost.NewNhsNumber();
        var gp = (await host.ContributeAsync("B86001", Make.Problem(nhs, "p-kept"), Make.Problem(nhs, "p-wrong"))).Results.Select(r => r.EntryId).ToList();
        var hospital = (await host.ContributeAsync("RR8", Make.Problem(nhs, "p-rr8"))).Results[0].EntryId;
        await Client.RetractEntryAsync(new RetractEntryRequest { NhsNumber = nhs, EntryId = gp[1], Reason = "Wrong patient" }, ClinicalHost.Feed("B86001"));

        async Task<List<Entry>> List(Action<ListEntriesRequest> filter)
        {
            var request = new ListEntriesRequest { NhsNumber = nhs };
            filter(request);
            return (await Client.ListEntriesAsync(request)).Entries.ToList();
        }

        Assert.Equal([gp[0]], (await List(r => r.SourceOrganisationOdsCodes.Add("b86001"))).Select(e => e.Id));
        var withRetracted = await List(r => { r.SourceOrganisationOdsCodes.Add("B86001"); r.IncludeEnteredInError = true; });
        Assert.Equal(gp.Order(), withRetracted.Select(e => e.Id).Order());
        Assert.True(withRetracted.Single(e => e.Id == gp[1]).EnteredInError);
        Assert.DoesNotContain(hospital, withRetracted.Select(e => e.Id));
        Assert.Equal(3, (await List(r => r.IncludeEnteredInError = true)).Count);

        await RpcAssert.InvalidFields(() => List(r => r.SourceOrganisationOdsCodes.Add("not an ods code")), "source_organisation_ods_codes[0]");
    }

    [Fact]
    public async Task A_page_token_cannot_be_replayed_with_other_filters()
    {
        var nhs = ClinicalHost.NewNhsNumber();
        await host.ContributeAsync("B86001", Make.Problem(nhs, "p-1"), Make.Problem(nhs, "p-2", onset: Make.Date(2016, 1, 1)));
        var first = await Client.ListEntriesAsync(new ListEntriesRequest { NhsNumber = nhs, PageSize = 1 });
        Assert.NotEmpty(first.NextPageToken);
        await RpcAssert.InvalidFields(async () => await Client.ListEntriesAsync(new ListEntriesRequest
        {
            NhsNumber = nhs, PageSize = 1, PageToken = first.NextPageToken, IncludeSensitive = true,
        }), "page_token");
    }

    [Fact]
    public async Task Listing_large_documents_never_reads_their_content()
    {
        var nhs = ClinicalHost.NewNhsNumber();
        var big = new byte[3 * 1024 * 1024]; // a large scanned letter; content replies are capped by the client (4 MiB default)
        Array.Fill(big, (byte)'a');
        var id = (await host.ContributeAsync("RR8", Make.Document(nhs, "d-big", big))).Results[0].EntryId;

        // Follow the list call's own trace so other test classes' spans do not interfere.
        var trace = ActivityTraceId.CreateRandom();
        ListEntriesResponse list;
        RecordSummary summary;
        using (new Activity("list-test").SetParentId(trace, ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded).Start())
        {
            list = await Client.ListEntriesAsync(new ListEntriesRequest { NhsNumber = nhs, Categories = { RecordCategory.Documents } });
            summary = (await Client.GetRecordSummaryAsync(new GetRecordSummaryRequest { NhsNumber = nhs })).Summary;
        }

        var entry = Assert.Single(list.Entries);
        Assert.Equal(big.Length, entry.Document.SizeBytes);
        Assert.True(list.CalculateSize() < 2048, "the list response carries metadata only");
        Assert.True(summary.CalculateSize() < 2048, "the summary carries metadata only");

        var statements = host.Spans.ToArray().Where(s => s.TraceId == trace)
            .SelectMany(s => s.TagObjects).Where(t => t.Key is "db.statement" or "db.query.text").Select(t => t.Value?.ToString() ?? string.Empty).ToList();
        Assert.Contains(statements, s => s.Contains("FROM entries", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(statements, s => s.Contains("document_contents", StringComparison.OrdinalIgnoreCase));

        var content = await Client.GetDocumentContentAsync(new GetDocumentContentRequest { NhsNumber = nhs, EntryId = id });
        Assert.Equal(big.Length, content.Content.Data.Length);
    }
}
