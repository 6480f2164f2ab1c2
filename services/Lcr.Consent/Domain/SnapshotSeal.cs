namespace Lcr.Consent.Domain;

/// <summary>A seal in a snapshot: who is named on it (lower-case professional UUIDs, upper-case team ids).</summary>
public sealed record SnapshotSeal(IReadOnlyList<string> ProfessionalIds, IReadOnlyList<string> TeamIds)
{
    public bool Names(string professionalId, string? teamId) =>
        ProfessionalIds.Contains(professionalId, StringComparer.OrdinalIgnoreCase) ||
        (!string.IsNullOrEmpty(teamId) && TeamIds.Contains(teamId, StringComparer.OrdinalIgnoreCase));
}
