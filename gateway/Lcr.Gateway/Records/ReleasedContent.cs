using Lcr.Audit.V1;
using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Lcr.Gateway.V1;

namespace Lcr.Gateway.Records;

/// <summary>
/// The one rule for what a view's audit event says was released, applied to the filtered view
/// that is about to be returned: the ids of the entries in it, and the categories of what is
/// actually in it (a category with an entry or a non-zero count in the response, demographics
/// when the patient's details are in it). A category the viewer asked for but received nothing
/// of (e.g. every document withheld by the patient's consent) is not listed, so the patient's
/// access log never says someone saw what they did not. Pure.
/// </summary>
public static class ReleasedContent
{
    /// <summary>Sets the event's released categories and entry ids from what a response holds.</summary>
    /// <param name="e">The view event, before it is committed.</param>
    /// <param name="entries">Every entry in the response.</param>
    /// <param name="counts">The category counts in the response, if any.</param>
    /// <param name="demographics">True when the patient's demographics are in the response.</param>
    /// <param name="alertDetailsWithheld">
    /// True when the response's alerts carry their kind only (<see cref="AccessScope.AlertDetailsWithheld"/>):
    /// the event says so when it lists at least one alert (their ids are listed as every entry's are).
    /// </param>
    public static void Describe(AuditEvent e, IEnumerable<Entry> entries, IEnumerable<CategoryCount>? counts = null, bool demographics = false,
        bool alertDetailsWithheld = false)
    {
        var categories = new SortedSet<RecordCategory>();
        var alerts = false;
        e.ReturnedEntryIds.Clear();
        foreach (var entry in entries)
        {
            categories.Add(entry.Category);
            e.ReturnedEntryIds.Add(entry.Id);
            alerts |= AlertKindOnly.IsAlert(entry);
        }

        e.AlertDetailsWithheld = alertDetailsWithheld && alerts;

        foreach (var c in counts ?? [])
        {
            if (c.Count > 0)
            {
                categories.Add(c.Category);
            }
        }

        if (demographics)
        {
            categories.Add(RecordCategory.Demographics);
        }

        e.ReturnedCategories.Clear();
        e.ReturnedCategories.AddRange(categories);
    }

    /// <summary>The same rule for a composed record view (GetPatientRecord).</summary>
    public static void Describe(AuditEvent e, GetPatientRecordResponse view) =>
        Describe(e, RecordFilter.Entries(view), view.CategoryCounts, view.Patient is not null, view.AlertDetailsWithheld);
}
