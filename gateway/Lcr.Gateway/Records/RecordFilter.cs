using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Lcr.Demographics.V1;
using Lcr.Gateway.V1;

namespace Lcr.Gateway.Records;

/// <summary>
/// Composes the viewer's record view from the unfiltered summary and demographics. Pure:
/// everything that leaves the gateway passes <see cref="AccessScope.Allows"/>, and counts are
/// recomputed from what the viewer may see so they never reveal that something was withheld.
/// </summary>
public static class RecordFilter
{
    /// <param name="summary">The unfiltered summary, or null when no clinical category is in scope.</param>
    /// <param name="patient">Demographics, or null when not in scope or not held.</param>
    /// <param name="scope">What this viewer may see.</param>
    /// <param name="withheldEntries">The individually withheld entries (looked up), so counts can exclude them.</param>
    public static GetPatientRecordResponse Compose(RecordSummary? summary, Patient? patient, AccessScope scope,
        IReadOnlyCollection<Entry> withheldEntries)
    {
        var response = new GetPatientRecordResponse { PatientRestrictionsApply = scope.RestrictionsApply };
        if (patient is not null && scope.Categories.Contains(RecordCategory.Demographics))
        {
            response.Patient = Demographics(patient, out var withheld);
            response.ContactDetailsWithheld = withheld;
            response.ReturnedCategories.Add(RecordCategory.Demographics);
        }

        if (summary is null)
        {
            return response;
        }

        response.RecordVersion = summary.RecordVersion;
        response.ActiveProblems.AddRange(summary.ActiveProblems.Where(scope.Allows));
        response.CurrentMedications.AddRange(summary.CurrentMedications.Where(scope.Allows));
        response.Allergies.AddRange(summary.Allergies.Where(scope.Allows));
        response.LatestResults.AddRange(summary.LatestResults.Where(scope.Allows));
        response.RecentDocuments.AddRange(summary.RecentDocuments.Where(scope.Allows));

        var counts = new Dictionary<RecordCategory, int>();
        foreach (var c in summary.EntryCounts)
        {
            if (scope.Counts(c.Category, c.SourceOrganisationOdsCode, c.Sensitivity))
            {
                counts[c.Category] = counts.GetValueOrDefault(c.Category) + c.Count;
            }
        }

        foreach (var e in withheldEntries)
        {
            // Counted above (visible category, source and sensitivity) but withheld on its own.
            if (!e.EnteredInError && scope.WithheldEntryIds.Contains(e.Id) &&
                scope.Counts(e.Category, e.Provenance?.SourceOrganisation?.OdsCode ?? string.Empty, e.Sensitivity) &&
                counts.TryGetValue(e.Category, out var n) && n > 0)
            {
                counts[e.Category] = n - 1;
            }
        }

        foreach (var category in scope.Categories.Where(c => c != RecordCategory.Demographics).Order())
        {
            response.CategoryCounts.Add(new CategoryCount { Category = category, Count = counts.GetValueOrDefault(category) });
            response.ReturnedCategories.Add(category);
        }

        return response;
    }

    /// <summary>
    /// A restricted patient's location is withheld from every viewer: address, telephones,
    /// email and registered practice.
    /// </summary>
    public static Patient Demographics(Patient patient, out bool contactWithheld)
    {
        var view = patient.Clone();
        contactWithheld = patient.Restricted;
        if (patient.Restricted)
        {
            view.Address = null;
            view.Telephones.Clear();
            view.Email = string.Empty;
            view.RegisteredPractice = null;
        }

        return view;
    }

    /// <summary>The ids of every entry in a composed view, for the audit event.</summary>
    public static IEnumerable<string> EntryIds(GetPatientRecordResponse view) =>
        view.ActiveProblems.Concat(view.CurrentMedications).Concat(view.Allergies).Concat(view.LatestResults)
            .Concat(view.RecentDocuments).Select(e => e.Id);
}
