using Lcr.Clinical.V1;

namespace Lcr.Clinical.Domain;

/// <summary>
/// The summary of a merged record: the summaries of the patient's own number and of the numbers
/// merged into it, combined as if every entry had been recorded under the patient's number (each
/// entry still carries its own <c>nhs_number</c> and provenance). Lists are merged, re-sorted and
/// re-capped as the single-number summary defines them (the first N of a union are always among
/// the first N of each part, so nothing beyond a part's cap is needed); the latest result per test
/// is taken across the numbers; counts are summed; the record version is the sum of the numbers'
/// record versions, which rises with every contribution or retraction under any of them.
/// </summary>
public static class SummaryCombiner
{
    /// <summary>Combines <paramref name="parts"/> (one per number; a single part is returned as it is).</summary>
    public static RecordSummary Combine(string nhsNumber, IReadOnlyList<RecordSummary> parts)
    {
        if (parts.Count == 1)
        {
            return parts[0];
        }

        var combined = new RecordSummary
        {
            NhsNumber = nhsNumber,
            RecordVersion = parts.Sum(p => p.RecordVersion),
            ComputeTime = parts.Select(p => p.ComputeTime).Where(t => t is not null).MinBy(t => t.ToDateTimeOffset()),
        };
        combined.ActiveProblems.AddRange(Newest(parts.SelectMany(p => p.ActiveProblems)).Take(Limits.MaxSummaryListed));
        combined.CurrentMedications.AddRange(Newest(parts.SelectMany(p => p.CurrentMedications)).Take(Limits.MaxSummaryListed));
        combined.Allergies.AddRange(Newest(parts.SelectMany(p => p.Allergies)).Take(Limits.MaxSummaryListed));
        combined.LatestResults.AddRange(Newest(parts.SelectMany(p => p.LatestResults)
                .GroupBy(e => (e.Code?.System ?? string.Empty, e.Code?.Code ?? string.Empty))
                .Select(g => Newest(g).First()))
            .Take(Limits.MaxSummaryResults));
        combined.RecentDocuments.AddRange(Newest(parts.SelectMany(p => p.RecentDocuments)).Take(Limits.MaxSummaryDocuments));
        combined.Alerts.AddRange(AlertRules.InSummaryOrder(parts.SelectMany(p => p.Alerts)).Take(Limits.MaxSummaryAlerts));

        var counts = parts.SelectMany(p => p.EntryCounts)
            .GroupBy(c => (c.Category, c.SourceOrganisationOdsCode, c.Sensitivity))
            .Select(g => new EntryCount
            {
                Category = g.Key.Category,
                SourceOrganisationOdsCode = g.Key.SourceOrganisationOdsCode,
                Sensitivity = g.Key.Sensitivity,
                Count = g.Sum(c => c.Count),
            })
            .OrderBy(c => c.Category).ThenBy(c => c.SourceOrganisationOdsCode, StringComparer.Ordinal).ThenBy(c => c.Sensitivity);
        combined.EntryCounts.AddRange(counts);
        foreach (var g in combined.EntryCounts.GroupBy(c => c.Category).OrderBy(g => g.Key))
        {
            combined.CategoryCounts.Add(new CategoryCount { Category = g.Key, Count = g.Sum(c => c.Count) });
        }

        return combined;
    }

    /// <summary>Newest clinical time first, ties by id (as PostgreSQL orders uuids), as the summary's lists are ordered.</summary>
    private static IOrderedEnumerable<Entry> Newest(IEnumerable<Entry> entries) => entries
        .OrderByDescending(e => e.ClinicalTime?.ToDateTimeOffset() ?? DateTimeOffset.MinValue)
        .ThenByDescending(e => Guid.TryParse(e.Id, out var id) ? id : Guid.Empty, GuidByteOrder.Instance);
}
