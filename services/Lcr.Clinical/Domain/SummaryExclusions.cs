using System.Security.Cryptography;
using System.Text;
using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Lcr.ServiceDefaults;

namespace Lcr.Clinical.Domain;

/// <summary>
/// What a GetRecordSummary caller asks to leave out (entries by id, contributing organisations,
/// categories, sensitive entries), and the pure rules that apply it to an unfiltered summary:
/// lists lose the excluded entries, counts lose them exactly (the excluded entries' own counts,
/// by category, source and sensitivity, are subtracted), and a list that may have lost entries
/// it should now show instead is reported incomplete so it can be recomputed.
/// </summary>
public sealed class SummaryExclusions
{
    private SummaryExclusions(IReadOnlySet<Guid> entryIds, IReadOnlySet<string> organisations, IReadOnlySet<RecordCategory> categories,
        bool excludeSensitive)
    {
        EntryIds = entryIds;
        Organisations = organisations;
        Categories = categories;
        ExcludeSensitive = excludeSensitive;
    }

    /// <summary>Nothing excluded: the unfiltered summary.</summary>
    public static SummaryExclusions None { get; } = new(new HashSet<Guid>(), new HashSet<string>(), new HashSet<RecordCategory>(), false);

    public IReadOnlySet<Guid> EntryIds { get; }

    /// <summary>Upper-case ODS codes, as entries store them.</summary>
    public IReadOnlySet<string> Organisations { get; }

    public IReadOnlySet<RecordCategory> Categories { get; }

    public bool ExcludeSensitive { get; }

    public bool IsEmpty => EntryIds.Count == 0 && Organisations.Count == 0 && Categories.Count == 0 && !ExcludeSensitive;

    /// <summary>Validates the request's exclusions; every bad field is added to <paramref name="v"/>.</summary>
    public static SummaryExclusions From(GetRecordSummaryRequest request, FieldViolations v)
    {
        var ids = new SortedSet<Guid>();
        v.Check(request.ExcludedEntryIds.Count <= Limits.MaxExcludedEntries, "excluded_entry_ids", $"must have at most {Limits.MaxExcludedEntries} ids");
        for (var i = 0; i < request.ExcludedEntryIds.Count && i < Limits.MaxExcludedEntries; i++)
        {
            if (v.Check(Guid.TryParseExact(request.ExcludedEntryIds[i], "D", out var id), $"excluded_entry_ids[{i}]",
                    "must be an entry id (a UUID) issued by this service"))
            {
                ids.Add(id);
            }
        }

        var organisations = new SortedSet<string>(StringComparer.Ordinal);
        v.Check(request.ExcludedSourceOrganisationOdsCodes.Count <= Limits.MaxExclusions, "excluded_source_organisation_ods_codes",
            $"must have at most {Limits.MaxExclusions} codes");
        for (var i = 0; i < request.ExcludedSourceOrganisationOdsCodes.Count && i < Limits.MaxExclusions; i++)
        {
            var ods = EntryValidator.NormaliseOds(request.ExcludedSourceOrganisationOdsCodes[i]);
            if (v.Check(ods is not null, $"excluded_source_organisation_ods_codes[{i}]", "must be an ODS code: 3 to 12 letters and digits"))
            {
                organisations.Add(ods!);
            }
        }

        var categories = new SortedSet<RecordCategory>();
        for (var i = 0; i < request.ExcludedCategories.Count; i++)
        {
            if (v.RequireEnum(request.ExcludedCategories[i], $"excluded_categories[{i}]"))
            {
                categories.Add(request.ExcludedCategories[i]);
            }
        }

        return new SummaryExclusions(ids, organisations, categories, request.ExcludeSensitive);
    }

    /// <summary>A short key naming exactly these exclusions (a SHA-256 of their canonical form).</summary>
    public string Fingerprint()
    {
        var canonical = string.Join('|',
            string.Join(',', EntryIds.Order()), string.Join(',', Organisations.Order(StringComparer.Ordinal)),
            string.Join(',', Categories.Order().Select(c => (int)c)), ExcludeSensitive ? "s" : string.Empty);
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }

    /// <summary>True when every entry of this category, source and sensitivity is left out.</summary>
    public bool ExcludesGroup(RecordCategory category, string sourceOds, Sensitivity sensitivity) =>
        Categories.Contains(category) || Organisations.Contains(sourceOds) || (ExcludeSensitive && sensitivity == Sensitivity.Sensitive);

    /// <summary>True when the entry is left out.</summary>
    public bool Excludes(Entry entry) =>
        ExcludesGroup(entry.Category, entry.Provenance?.SourceOrganisation?.OdsCode ?? string.Empty, entry.Sensitivity) ||
        (EntryIds.Count > 0 && Guid.TryParse(entry.Id, out var id) && EntryIds.Contains(id));

    /// <summary>
    /// The summary without the excluded entries.
    /// </summary>
    /// <param name="summary">The unfiltered summary.</param>
    /// <param name="excludedById">
    /// The entries of <see cref="EntryIds"/> that <paramref name="summary"/> counts (current, not
    /// entered in error, at its record version), counted by category, source and sensitivity.
    /// </param>
    /// <returns>
    /// The filtered summary, and whether its lists are complete: false when a list that was
    /// full lost entries (others beyond its limit should take their place) or a latest result
    /// was left out (an older result of the same test should take its place).
    /// </returns>
    public (RecordSummary Summary, bool ListsComplete) Apply(RecordSummary summary, IEnumerable<EntryCount> excludedById)
    {
        var filtered = new RecordSummary
        {
            NhsNumber = summary.NhsNumber,
            RecordVersion = summary.RecordVersion,
            ComputeTime = summary.ComputeTime,
        };
        var complete = Filter(summary.ActiveProblems, filtered.ActiveProblems, RecordCategory.Problems, Limits.MaxSummaryListed, false);
        complete &= Filter(summary.CurrentMedications, filtered.CurrentMedications, RecordCategory.Medications, Limits.MaxSummaryListed, false);
        complete &= Filter(summary.Allergies, filtered.Allergies, RecordCategory.Allergies, Limits.MaxSummaryListed, false);
        complete &= Filter(summary.LatestResults, filtered.LatestResults, RecordCategory.TestResults, Limits.MaxSummaryResults, true);
        complete &= Filter(summary.RecentDocuments, filtered.RecentDocuments, RecordCategory.Documents, Limits.MaxSummaryDocuments, false);
        complete &= Filter(summary.Alerts, filtered.Alerts, RecordCategory.RisksAndAlerts, Limits.MaxSummaryAlerts, false);

        var subtract = new Dictionary<(RecordCategory, string, Sensitivity), int>();
        foreach (var c in excludedById)
        {
            var key = (c.Category, c.SourceOrganisationOdsCode, c.Sensitivity);
            subtract[key] = subtract.GetValueOrDefault(key) + c.Count;
        }

        foreach (var c in summary.EntryCounts)
        {
            if (ExcludesGroup(c.Category, c.SourceOrganisationOdsCode, c.Sensitivity))
            {
                continue;
            }

            var left = c.Count - subtract.GetValueOrDefault((c.Category, c.SourceOrganisationOdsCode, c.Sensitivity));
            if (left > 0)
            {
                filtered.EntryCounts.Add(new EntryCount
                {
                    Category = c.Category, SourceOrganisationOdsCode = c.SourceOrganisationOdsCode, Sensitivity = c.Sensitivity, Count = left,
                });
            }
        }

        foreach (var g in filtered.EntryCounts.GroupBy(c => c.Category).OrderBy(g => g.Key))
        {
            filtered.CategoryCounts.Add(new CategoryCount { Category = g.Key, Count = g.Sum(c => c.Count) });
        }

        return (filtered, complete);
    }

    /// <summary>Copies the entries not excluded; false when the list may now be missing entries it should show.</summary>
    private bool Filter(IEnumerable<Entry> source, ICollection<Entry> target, RecordCategory category, int limit, bool anyLossIncomplete)
    {
        if (Categories.Contains(category))
        {
            return true;
        }

        var listed = 0;
        var lost = false;
        foreach (var e in source)
        {
            listed++;
            if (Excludes(e))
            {
                lost = true;
            }
            else
            {
                target.Add(e);
            }
        }

        return !lost || (!anyLossIncomplete && listed < limit);
    }
}
