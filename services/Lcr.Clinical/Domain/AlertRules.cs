using Lcr.Clinical.V1;
using Lcr.Common.V1;

namespace Lcr.Clinical.Domain;

/// <summary>
/// The time-dependent rules of the risks-and-alerts category. An alert of status ACTIVE applies
/// until the end of its <c>end_date</c> (inclusive, Europe/London); from the next day's midnight it
/// reads as INACTIVE everywhere (entries, lists, history) and leaves the summary's <c>alerts</c>,
/// even when the summary was computed (and cached) before that midnight.
/// </summary>
public static class AlertRules
{
    /// <summary>When an alert stops applying: 00:00 Europe/London the day after its end date; null without an end date (or for any other entry).</summary>
    public static DateTimeOffset? ActiveUntil(Entry entry)
    {
        if (entry.DetailCase != Entry.DetailOneofCase.Alert || entry.Alert.EndDate is not { } end || !EntryFacts.TryDate(end, out var day) ||
            day == DateOnly.MaxValue)
        {
            return null;
        }

        var next = day.AddDays(1);
        return EntryFacts.StartOfDay(new Date { Year = next.Year, Month = next.Month, Day = next.Day });
    }

    /// <summary>True when the entry is an alert whose end date has passed at <paramref name="now"/>.</summary>
    public static bool HasEnded(Entry entry, DateTimeOffset now) => ActiveUntil(entry) is { } until && now >= until;

    /// <summary>The entry's status at <paramref name="now"/>: an ACTIVE alert whose end date has passed is INACTIVE.</summary>
    public static EntryStatus StatusAt(Entry entry, DateTimeOffset now) =>
        entry.Status == EntryStatus.Active && HasEnded(entry, now) ? EntryStatus.Inactive : entry.Status;

    /// <summary>The summary's order of alerts: highest severity first, then most recent start (clinical time) first, then id.</summary>
    public static IOrderedEnumerable<Entry> InSummaryOrder(IEnumerable<Entry> alerts) => alerts
        .OrderByDescending(e => e.Alert?.Severity ?? AlertSeverity.Unspecified)
        .ThenByDescending(e => e.ClinicalTime?.ToDateTimeOffset() ?? DateTimeOffset.MinValue)
        .ThenByDescending(e => Guid.TryParse(e.Id, out var id) ? id : Guid.Empty, GuidByteOrder.Instance);

    /// <summary>
    /// The summary without alerts whose end date has passed at <paramref name="now"/> (the same
    /// instance when none has), and whether its alerts list is complete: false when a full list
    /// (<see cref="Limits.MaxSummaryAlerts"/>) lost alerts, as others beyond the limit should take their place.
    /// </summary>
    public static (RecordSummary Summary, bool Complete) DropEnded(RecordSummary summary, DateTimeOffset now)
    {
        if (!summary.Alerts.Any(a => HasEnded(a, now)))
        {
            return (summary, true);
        }

        var copy = summary.Clone();
        copy.Alerts.Clear();
        copy.Alerts.AddRange(summary.Alerts.Where(a => !HasEnded(a, now)));
        return (copy, summary.Alerts.Count < Limits.MaxSummaryAlerts);
    }
}
