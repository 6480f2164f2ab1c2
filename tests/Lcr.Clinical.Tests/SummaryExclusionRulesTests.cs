using Lcr.Clinical.Domain;
using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Lcr.ServiceDefaults;

namespace Lcr.Clinical.Tests;

/// <summary>The pure rules of <see cref="SummaryExclusions"/>, without a host.</summary>
public class SummaryExclusionRulesTests
{
    private static Entry E(RecordCategory category, string ods = "B86001", Sensitivity sensitivity = Sensitivity.Normal, string? id = null) => new()
    {
        Id = id ?? Guid.NewGuid().ToString(),
        Category = category,
        Sensitivity = sensitivity,
        Provenance = new Provenance { SourceOrganisation = new OrganisationReference { OdsCode = ods } },
    };

    private static SummaryExclusions Parse(Action<GetRecordSummaryRequest> fill)
    {
        var request = new GetRecordSummaryRequest { NhsNumber = "9000000009" };
        fill(request);
        var v = new FieldViolations();
        var x = SummaryExclusions.From(request, v);
        v.ThrowIfAny();
        return x;
    }

    private static EntryCount Count(RecordCategory category, string ods, int n, Sensitivity sensitivity = Sensitivity.Normal) =>
        new() { Category = category, SourceOrganisationOdsCode = ods, Sensitivity = sensitivity, Count = n };

    [Fact]
    public void Excluded_entries_are_subtracted_from_their_own_group_and_excluded_groups_are_dropped()
    {
        var hidden = E(RecordCategory.Problems);
        var summary = new RecordSummary
        {
            RecordVersion = 7,
            ActiveProblems = { hidden, E(RecordCategory.Problems) },
            EntryCounts =
            {
                Count(RecordCategory.Problems, "B86001", 80),
                Count(RecordCategory.Problems, "RGD", 5),
                Count(RecordCategory.Documents, "B86001", 3),
                Count(RecordCategory.Documents, "B86001", 2, Sensitivity.Sensitive),
            },
        };
        var x = Parse(r =>
        {
            r.ExcludedEntryIds.Add(hidden.Id);
            r.ExcludedSourceOrganisationOdsCodes.Add("rgd");
            r.ExcludeSensitive = true;
        });

        // 60 of the patient's B86001 problems are excluded by id (counted by the service in the same snapshot).
        var (filtered, complete) = x.Apply(summary, [Count(RecordCategory.Problems, "B86001", 60)]);
        Assert.True(complete);
        Assert.Equal(7, filtered.RecordVersion);
        Assert.DoesNotContain(filtered.ActiveProblems, e => e.Id == hidden.Id);
        Assert.Equal([(RecordCategory.Problems, 20), (RecordCategory.Documents, 3)], filtered.CategoryCounts.Select(c => (c.Category, c.Count)));
        Assert.Equal(["B86001", "B86001"], filtered.EntryCounts.Select(c => c.SourceOrganisationOdsCode));
    }

    [Fact]
    public void A_group_whose_every_entry_is_excluded_has_no_count_at_all()
    {
        var summary = new RecordSummary { EntryCounts = { Count(RecordCategory.Allergies, "RR8", 2) } };
        var (filtered, _) = Parse(r => r.ExcludedEntryIds.Add(Guid.NewGuid().ToString())).Apply(summary, [Count(RecordCategory.Allergies, "RR8", 2)]);
        Assert.Empty(filtered.EntryCounts);
        Assert.Empty(filtered.CategoryCounts);
    }

    [Fact]
    public void A_full_list_or_a_latest_result_that_loses_an_entry_is_incomplete()
    {
        var full = new RecordSummary();
        full.RecentDocuments.AddRange(Enumerable.Range(0, Limits.MaxSummaryDocuments).Select(_ => E(RecordCategory.Documents)));
        var first = full.RecentDocuments[0].Id;
        Assert.False(Parse(r => r.ExcludedEntryIds.Add(first)).Apply(full, []).ListsComplete);

        var small = new RecordSummary { RecentDocuments = { E(RecordCategory.Documents), E(RecordCategory.Documents, "RR8") } };
        var (filtered, complete) = Parse(r => r.ExcludedSourceOrganisationOdsCodes.Add("RR8")).Apply(small, []);
        Assert.True(complete);
        Assert.Single(filtered.RecentDocuments);

        var results = new RecordSummary { LatestResults = { E(RecordCategory.TestResults, "RR8"), E(RecordCategory.TestResults) } };
        Assert.False(Parse(r => r.ExcludedSourceOrganisationOdsCodes.Add("RR8")).Apply(results, []).ListsComplete);

        // A category excluded outright is empty and complete.
        var (none, whole) = Parse(r => r.ExcludedCategories.Add(RecordCategory.TestResults)).Apply(results, []);
        Assert.True(whole);
        Assert.Empty(none.LatestResults);
    }

    [Fact]
    public void The_fingerprint_names_exactly_the_exclusions()
    {
        var a = Guid.NewGuid().ToString();
        var b = Guid.NewGuid().ToString();
        Assert.Equal(Parse(r => r.ExcludedEntryIds.Add([a, b])).Fingerprint(), Parse(r => r.ExcludedEntryIds.Add([b, a])).Fingerprint());
        Assert.NotEqual(Parse(r => r.ExcludedEntryIds.Add(a)).Fingerprint(), Parse(r => r.ExcludedEntryIds.Add(b)).Fingerprint());
        Assert.NotEqual(Parse(r => r.ExcludeSensitive = true).Fingerprint(), SummaryExclusions.None.Fingerprint());
        Assert.True(Parse(_ => { }).IsEmpty);
    }
}
