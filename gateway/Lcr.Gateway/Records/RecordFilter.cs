using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Lcr.Demographics.V1;
using Lcr.Gateway.V1;

namespace Lcr.Gateway.Records;

/// <summary>
/// Composes the viewer's record view from the summary (which the clinical service returned with
/// the patient's withheld organisations, categories and entries already left out) and
/// demographics. Pure: everything that leaves the gateway passes <see cref="AccessScope.Allows"/>,
/// and counts are taken only from what the viewer may see, so they never reveal that something
/// was withheld.
/// </summary>
public static class RecordFilter
{
    /// <summary>
    /// The summary request for this viewer: every exclusion the scope implies, so the clinical
    /// service applies them all (any number of withheld entries) to lists and counts in one call.
    /// </summary>
    public static GetRecordSummaryRequest SummaryRequest(string nhsNumber, AccessScope scope, IEnumerable<RecordCategory> clinicalCategories)
    {
        var request = new GetRecordSummaryRequest
        {
            NhsNumber = nhsNumber,
            ExcludedEntryIds = { scope.WithheldEntryIds.Order(StringComparer.Ordinal) },
            ExcludedSourceOrganisationOdsCodes = { scope.WithheldOrganisations.Order(StringComparer.OrdinalIgnoreCase) },
            ExcludedCategories = { clinicalCategories.Where(c => !scope.Categories.Contains(c)).Order() },
            ExcludeSensitive = !scope.SensitiveReleased,
        };
        return request;
    }

    /// <param name="summary">The summary with the scope's exclusions applied, or null when no clinical category is in scope.</param>
    /// <param name="patient">Demographics, or null when not in scope or not held.</param>
    /// <param name="scope">What this viewer may see.</param>
    public static GetPatientRecordResponse Compose(RecordSummary? summary, Patient? patient, AccessScope scope)
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
        if (scope.Categories.Contains(RecordCategory.RisksAndAlerts))
        {
            // First in every view: highest severity first (stable, so the clinical service's
            // most-recent-start-first order holds within a severity), each as the role may see it.
            response.Alerts.AddRange(scope.Release(summary.Alerts.Where(AlertKindOnly.IsAlert))
                .OrderByDescending(a => a.Alert?.Severity ?? AlertSeverity.Unspecified));
            response.AlertDetailsWithheld = scope.AlertDetailsWithheld;
        }

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

    /// <summary>Every entry in a composed view, alerts first.</summary>
    public static IEnumerable<Entry> Entries(GetPatientRecordResponse view) =>
        view.Alerts.Concat(view.ActiveProblems).Concat(view.CurrentMedications).Concat(view.Allergies).Concat(view.LatestResults).Concat(view.RecentDocuments);
}
