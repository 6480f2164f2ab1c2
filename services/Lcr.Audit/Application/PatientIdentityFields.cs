using Lcr.Audit.Persistence;
using Lcr.Audit.V1;
using Lcr.ServiceDefaults;

namespace Lcr.Audit.Application;

/// <summary>
/// The issue 21 fields of an audit event (merged NHS numbers, supersession, alert details
/// withheld, date of death): validated on RecordEvents, copied to the stored row and back.
/// </summary>
public static class PatientIdentityFields
{
    /// <summary>The most merged NHS numbers one event (or one patient listing) may name.</summary>
    public const int MaxMergedNhsNumbers = Lcr.ServiceDefaults.MergedNhsNumbers.Max;

    public const int MaxNoticeIdLength = 100;

    /// <summary>Records a violation for each bad field of <paramref name="e"/>, named under <paramref name="prefix"/>.</summary>
    public static void Validate(AuditEvent e, string prefix, FieldViolations v)
    {
        MergedNhsNumbers(e.MergedNhsNumbers, e.NhsNumber, prefix + "merged_nhs_numbers", v);
        if (e.Supersession is { } s)
        {
            NhsNumber.Validate(s.SupersededNhsNumber, v, prefix + "supersession.superseded_nhs_number");
            if (NhsNumber.Validate(s.CurrentNhsNumber, v, prefix + "supersession.current_nhs_number"))
            {
                v.Check(s.CurrentNhsNumber != s.SupersededNhsNumber, prefix + "supersession.current_nhs_number",
                    "must differ from supersession.superseded_nhs_number");
            }

            v.MaxLength(s.NoticeId, prefix + "supersession.notice_id", MaxNoticeIdLength);
        }

        if (e.PatientDeathDate is { } d)
        {
            v.Check(ToDate(d) is not null, prefix + "patient_death_date", "must be a valid calendar date (year, month, day)");
        }
    }

    /// <summary>Checks a list of NHS numbers merged into <paramref name="own"/> (<see cref="Lcr.ServiceDefaults.MergedNhsNumbers"/>), naming <paramref name="field"/>.</summary>
    public static void MergedNhsNumbers(IReadOnlyList<string> merged, string? own, string field, FieldViolations v) =>
        Lcr.ServiceDefaults.MergedNhsNumbers.Validate(merged, own, v, field);

    /// <summary>Copies the (validated) fields onto the row to store.</summary>
    public static void Apply(AuditEvent e, AuditEventRow row)
    {
        row.MergedNhsNumbers = [.. e.MergedNhsNumbers];
        row.SupersededNhsNumber = e.Supersession?.SupersededNhsNumber;
        row.CurrentNhsNumber = e.Supersession?.CurrentNhsNumber;
        row.SupersessionNoticeId = e.Supersession is { NoticeId.Length: > 0 } s ? s.NoticeId : null;
        row.AlertDetailsWithheld = e.AlertDetailsWithheld;
        row.PatientDeathDate = e.PatientDeathDate is { } d ? ToDate(d) : null;
    }

    /// <summary>Copies the stored fields onto the event the contract shows.</summary>
    public static void Fill(AuditEventRow row, AuditEvent e)
    {
        e.MergedNhsNumbers.Add(row.MergedNhsNumbers);
        if (row.SupersededNhsNumber is not null)
        {
            e.Supersession = new SupersessionDetail
            {
                SupersededNhsNumber = row.SupersededNhsNumber,
                CurrentNhsNumber = row.CurrentNhsNumber ?? string.Empty,
                NoticeId = row.SupersessionNoticeId ?? string.Empty,
            };
        }

        e.AlertDetailsWithheld = row.AlertDetailsWithheld;
        if (row.PatientDeathDate is { } date)
        {
            e.PatientDeathDate = new Lcr.Common.V1.Date { Year = date.Year, Month = date.Month, Day = date.Day };
        }
    }

    private static DateOnly? ToDate(Lcr.Common.V1.Date d) =>
        d.Year is >= 1 and <= 9999 && d.Month is >= 1 and <= 12 && d.Day >= 1 && d.Day <= DateTime.DaysInMonth(d.Year, d.Month)
            ? new DateOnly(d.Year, d.Month, d.Day)
            : null;
}
