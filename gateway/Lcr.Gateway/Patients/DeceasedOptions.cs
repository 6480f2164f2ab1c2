namespace Lcr.Gateway.Patients;

/// <summary>The access rules for a deceased patient (<c>Gateway:Deceased:*</c>), validated at start.</summary>
public sealed class DeceasedOptions
{
    /// <summary>The longest period <see cref="CareContinuesFor"/> may be set to.</summary>
    public static readonly TimeSpan MaxCareContinuesFor = TimeSpan.FromDays(3660);

    /// <summary>
    /// How long after the date of death direct care and emergency care may still read the record
    /// (the GP's and hospital's relationships continue while the death is dealt with: the
    /// certificate, the coroner, bereavement care). Past it, direct-care and emergency tokens are
    /// refused PATIENT_DECEASED; information governance and subject access continue. Default 90
    /// days; zero ends direct care on the day after the death; at most 10 years.
    /// </summary>
    public TimeSpan CareContinuesFor { get; set; } = TimeSpan.FromDays(90);

    /// <summary>True when the settings can be used.</summary>
    public bool IsValid => CareContinuesFor >= TimeSpan.Zero && CareContinuesFor <= MaxCareContinuesFor;
}
