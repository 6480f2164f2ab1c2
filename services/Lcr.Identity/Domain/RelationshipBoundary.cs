namespace Lcr.Identity.Domain;

/// <summary>
/// Where a feed's say over care relationships stops: at its own organisation. A system may
/// record a relationship only with its own organisation, one of its own teams
/// ("&lt;its ODS code&gt;:&lt;team code&gt;"), or a professional who holds an active role
/// assignment at its organisation at the time of recording. A relationship with another
/// organisation is recorded by that organisation's own feed (when it accepts the referral).
/// </summary>
public static class RelationshipBoundary
{
    /// <summary>The ErrorInfo reason of a refusal.</summary>
    public const string Reason = "RELATIONSHIP_OUTSIDE_ORGANISATION";

    /// <summary>The refusal's message: names no identifier the caller sent.</summary>
    public const string Message =
        "A system may record care relationships only with its own organisation, its own teams and professionals who hold an " +
        "active role at its organisation; a relationship with another organisation is recorded by that organisation's own feed " +
        "when it accepts the referral.";

    /// <summary>The subject organisation is the caller's own (ODS codes already normalised).</summary>
    public static bool IsOwnOrganisation(string callerOds, string subjectOds) =>
        string.Equals(callerOds, subjectOds, StringComparison.Ordinal);

    /// <summary>The team "&lt;ODS&gt;:&lt;code&gt;" belongs to the caller's organisation.</summary>
    public static bool IsOwnTeam(string callerOds, string teamId) =>
        Identifiers.IsTeamId(teamId) && IsOwnOrganisation(callerOds, Identifiers.TeamOrganisation(teamId));

    /// <summary>
    /// The professional belongs to the caller's organisation: one of their role assignments
    /// there is active at <paramref name="at"/> (started, and not ended: the end is exclusive).
    /// </summary>
    public static bool IsOwnProfessional(string callerOds, IEnumerable<(string OrganisationOds, DateTimeOffset Start, DateTimeOffset? End)> roles,
        DateTimeOffset at) =>
        roles.Any(r => IsOwnOrganisation(callerOds, r.OrganisationOds) && r.Start <= at && (r.End is null || r.End > at));
}
