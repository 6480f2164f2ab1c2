using System.Globalization;
using Lcr.Common.V1;
using Lcr.Gateway.V1;

namespace Lcr.Gateway.Patients;

/// <summary>
/// The access rules for a deceased patient, pure. Every view carries a <see cref="DeceasedNotice"/>;
/// direct care and emergency care continue for <see cref="DeceasedOptions.CareContinuesFor"/> after
/// the date of death (the whole day of death counts as alive), then end; information governance
/// and subject access never end with death. A care relationship claimed after death is not direct
/// care, so a self-claim for a deceased patient is refused.
/// </summary>
public static class DeceasedRule
{
    public const string Reason = "PATIENT_DECEASED";

    /// <summary>What every view of the patient's record shows first.</summary>
    public static DeceasedNotice Notice(Date deathDate) => new()
    {
        DeathDate = deathDate.Clone(),
        Message = $"This patient died on {Describe(deathDate)}.",
    };

    /// <summary>"3 November 2026": the date as a reader in England writes it.</summary>
    public static string Describe(Date date) =>
        TryToDateOnly(date) is { } d
            ? d.ToString("d MMMM yyyy", CultureInfo.GetCultureInfo("en-GB"))
            : $"{date.Year:D4}-{date.Month:D2}-{date.Day:D2}";

    /// <summary>True for the purposes that end a period after death: direct care and emergency care.</summary>
    public static bool EndsAfterDeath(PurposeOfUse purpose) => purpose is PurposeOfUse.DirectCare or PurposeOfUse.EmergencyCare;

    /// <summary>
    /// True when the period care continues for after <paramref name="deathDate"/> has passed at
    /// <paramref name="now"/> (UTC): the end is the start of the day after death plus the period.
    /// A date that is not a calendar date counts as passed (fail closed).
    /// </summary>
    public static bool CareHasEnded(Date deathDate, DateTimeOffset now, TimeSpan careContinuesFor)
    {
        if (TryToDateOnly(deathDate) is not { } day)
        {
            return true;
        }

        var end = new DateTimeOffset(day.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero) + careContinuesFor;
        return now >= end;
    }

    /// <summary>True when a <paramref name="purpose"/> access to the patient who died on <paramref name="deathDate"/> is refused at <paramref name="now"/>.</summary>
    public static bool Refuses(Date? deathDate, PurposeOfUse purpose, DateTimeOffset now, TimeSpan careContinuesFor) =>
        deathDate is not null && EndsAfterDeath(purpose) && CareHasEnded(deathDate, now, careContinuesFor);

    /// <summary>What the caller is told when direct or emergency care has ended (no date: the notice on a view carries it).</summary>
    public static Lcr.ServiceDefaults.PermissionDeniedException Refusal() => new(Reason,
        "This patient has died and the period in which direct care may read their record has ended; information governance and subject access requests continue.");

    /// <summary>What a professional is told when claiming a relationship with a deceased patient.</summary>
    public static Lcr.ServiceDefaults.PermissionDeniedException ClaimRefusal() => new(Reason,
        "This patient has died: a care relationship claimed after death is not direct care.");

    private static DateOnly? TryToDateOnly(Date date)
    {
        try
        {
            return new DateOnly(date.Year, date.Month, date.Day);
        }
        catch (ArgumentOutOfRangeException)
        {
            return null;
        }
    }
}
