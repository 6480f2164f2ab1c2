using Google.Protobuf.WellKnownTypes;
using Lcr.Clinical.V1;
using Lcr.Common.V1;

namespace Lcr.Clinical.Domain;

/// <summary>
/// The category-independent facts the service derives from an entry's detail: its
/// normalised status (for filters and the summary) and its clinical time (for ordering).
/// </summary>
public static class EntryFacts
{
    internal static readonly TimeZoneInfo London = TimeZoneInfo.FindSystemTimeZoneById("Europe/London");

    /// <summary>
    /// ACTIVE for an active problem, an active medication, an allergy not refuted, a result not
    /// cancelled, any document and an alert of status ACTIVE. This is the stored status: an
    /// alert's end date passes with time, so readers apply <see cref="AlertRules.StatusAt"/> too.
    /// </summary>
    public static EntryStatus StatusOf(Entry entry) => entry.DetailCase switch
    {
        Entry.DetailOneofCase.Problem => entry.Problem.ClinicalStatus == ProblemClinicalStatus.Active ? EntryStatus.Active : EntryStatus.Inactive,
        Entry.DetailOneofCase.Medication => entry.Medication.Status == MedicationStatus.Active ? EntryStatus.Active : EntryStatus.Inactive,
        Entry.DetailOneofCase.Allergy => entry.Allergy.VerificationStatus == AllergyVerificationStatus.Refuted ? EntryStatus.Inactive : EntryStatus.Active,
        Entry.DetailOneofCase.TestResult => entry.TestResult.Status == ResultStatus.Cancelled ? EntryStatus.Inactive : EntryStatus.Active,
        Entry.DetailOneofCase.Document => EntryStatus.Active,
        Entry.DetailOneofCase.Alert => entry.Alert.Status == AlertStatus.Active ? EntryStatus.Active : EntryStatus.Inactive,
        _ => EntryStatus.Unspecified,
    };

    /// <summary>
    /// Problem onset, medication start, allergy onset, result effective time, document authored
    /// time, alert start; dates at 00:00 Europe/London; <paramref name="fallback"/> (when the entry was first
    /// recorded) when the detail has no date.
    /// </summary>
    public static DateTimeOffset ClinicalTimeOf(Entry entry, DateTimeOffset fallback) => entry.DetailCase switch
    {
        Entry.DetailOneofCase.Problem => StartOfDay(entry.Problem.OnsetDate) ?? fallback,
        Entry.DetailOneofCase.Medication => StartOfDay(entry.Medication.StartDate) ?? fallback,
        Entry.DetailOneofCase.Allergy => StartOfDay(entry.Allergy.OnsetDate) ?? fallback,
        Entry.DetailOneofCase.TestResult => Instant(entry.TestResult.EffectiveTime) ?? fallback,
        Entry.DetailOneofCase.Document => Instant(entry.Document.AuthoredTime) ?? fallback,
        Entry.DetailOneofCase.Alert => StartOfDay(entry.Alert.StartDate) ?? fallback,
        _ => fallback,
    };

    /// <summary>The start of a calendar date in Europe/London, as an instant (microsecond precision, as PostgreSQL stores it).</summary>
    public static DateTimeOffset? StartOfDay(Date? date)
    {
        if (date is null || !TryDate(date, out var d))
        {
            return null;
        }

        var local = d.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        return new DateTimeOffset(local, London.GetUtcOffset(local)).ToUniversalTime();
    }

    public static DateTimeOffset? Instant(Timestamp? t) => t is null ? null : Truncate(t.ToDateTimeOffset());

    /// <summary>PostgreSQL keeps microseconds; truncating first keeps keyset positions exact.</summary>
    public static DateTimeOffset Truncate(DateTimeOffset t) => new(t.UtcTicks - (t.UtcTicks % 10), TimeSpan.Zero);

    public static bool TryDate(Date d, out DateOnly value)
    {
        value = default;
        if (d.Year is < 1 or > 9999 || d.Month is < 1 or > 12 || d.Day < 1 || d.Day > DateTime.DaysInMonth(d.Year, d.Month))
        {
            return false;
        }

        value = new DateOnly(d.Year, d.Month, d.Day);
        return true;
    }
}
