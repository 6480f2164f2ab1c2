using Lcr.Common.V1;

namespace Lcr.Gateway.Patients;

/// <summary>
/// What demographics says an NHS number stands for now (ResolveNhsNumber): the number in use,
/// whether the asked number is superseded by it, the numbers merged into it and the current
/// patient's date of death. Every door of the gateway resolves the number it is given before it
/// reads or issues anything about the patient.
/// </summary>
/// <param name="NhsNumber">The number asked about.</param>
/// <param name="CurrentNhsNumber">The number in use for the person (the asked one unless superseded).</param>
/// <param name="Superseded">The asked number is superseded: the door answers with a pointer, not data.</param>
/// <param name="MergedNhsNumbers">Numbers merged into the current one (empty for most patients); never the current one.</param>
/// <param name="DeathDate">The current patient's date of death; null while alive or not held.</param>
/// <param name="Found">Demographics holds a patient under the current number.</param>
public sealed record PatientResolution(
    string NhsNumber,
    string CurrentNhsNumber,
    bool Superseded,
    IReadOnlyList<string> MergedNhsNumbers,
    Date? DeathDate,
    bool Found)
{
    /// <summary>The patient has died (a date of death is recorded).</summary>
    public bool Deceased => DeathDate is not null;

    /// <summary>Other numbers' records are included in this one's.</summary>
    public bool Merged => MergedNhsNumbers.Count > 0;

    /// <summary>The number itself and every number merged into it.</summary>
    public IEnumerable<string> AllNumbers => MergedNhsNumbers.Prepend(CurrentNhsNumber);

    /// <summary>True when <paramref name="nhsNumber"/> is the current number or one merged into it.</summary>
    public bool Includes(string? nhsNumber) =>
        string.Equals(nhsNumber, CurrentNhsNumber, StringComparison.Ordinal) || MergedNhsNumbers.Contains(nhsNumber ?? string.Empty, StringComparer.Ordinal);

    /// <summary>A number resolved to itself: not superseded, nothing merged, alive.</summary>
    public static PatientResolution Unmerged(string nhsNumber) => new(nhsNumber, nhsNumber, false, [], null, true);
}
