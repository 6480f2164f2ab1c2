using Lcr.Common.V1;
using Lcr.Consent.V1;

namespace Lcr.Consent.Domain;

/// <summary>Who wants to see what: the inputs of one access evaluation, already validated and normalised.</summary>
/// <param name="ViewerProfessionalId">The viewer's platform id (UUIDs in lower case).</param>
/// <param name="ViewerOrganisation">The viewer's ODS code, upper case.</param>
/// <param name="RequestedCategories">The categories asked for; empty means all.</param>
/// <param name="Emergency">Break-glass access. It relaxes nothing.</param>
/// <param name="ViewerTeam">The team ("ODS:TEAM", upper case) the viewer's access rests on, if any.</param>
public sealed record AccessQuery(
    string ViewerProfessionalId,
    string ViewerOrganisation,
    IReadOnlyCollection<RecordCategory> RequestedCategories,
    bool Emergency,
    string? ViewerTeam = null);

/// <summary>
/// The decision and what the gateway must filter out; whether the record is sealed and the
/// viewer named on the seal, and whether the patient-facing access log is held for review
/// (these three are given with a DENY too).
/// </summary>
public sealed record AccessOutcome(
    AccessDecision Decision,
    AccessDecisionReason Reason,
    IReadOnlyList<string> WithheldOrganisations,
    IReadOnlyList<RecordCategory> WithheldCategories,
    IReadOnlyList<string> WithheldEntryIds,
    bool SensitiveEntriesReleased,
    long ConsentVersion,
    bool Sealed = false,
    bool ViewerNamedOnSeal = false,
    bool AccessLogUnderReview = false);

/// <summary>
/// The access decision as pure code over a patient's consent snapshot: no I/O, no clock of
/// its own, so every rule is unit-tested by a decision table.
/// <list type="number">
/// <item>Opted out: DENY for everyone, emergency access included.</item>
/// <item>The viewer blocked by the patient: DENY (professional block first, then organisation).</item>
/// <item>Otherwise PERMIT, listing withheld organisations, withheld categories (of those
/// requested) and withheld entries; sensitive entries are withheld unless released.</item>
/// </list>
/// Alongside the decision: whether the record is sealed and, if so, whether the viewer is
/// named on the seal (their professional id, or the team their access rests on, compared
/// case-insensitively); the gateway enforces the seal, since a seal hides the record from
/// the unnamed but is no consent decision. Opt-out and blocks still DENY a named viewer.
/// Restrictions whose end time has passed are ignored. Emergency access does not relax any
/// rule: the patient's choices bind break-glass access too (an IG team can relax this by
/// local policy later without a contract change, since it is an input here).
/// </summary>
public static class AccessEvaluator
{
    private static readonly RecordCategory[] AllCategories =
        Enum.GetValues<RecordCategory>().Where(c => c != RecordCategory.Unspecified).ToArray();

    public static AccessOutcome Evaluate(ConsentSnapshot consent, AccessQuery query, DateTimeOffset now) =>
        Decide(consent, query, now) with
        {
            Sealed = consent.Sealed,
            ViewerNamedOnSeal = consent.Seal?.Names(query.ViewerProfessionalId, query.ViewerTeam) ?? false,
            AccessLogUnderReview = consent.AccessLogUnderReview,
        };

    private static AccessOutcome Decide(ConsentSnapshot consent, AccessQuery query, DateTimeOffset now)
    {
        if (consent.OptedOut)
        {
            return Deny(AccessDecisionReason.PatientOptedOut, consent.Version);
        }

        var active = consent.Restrictions.Where(r => r.AppliesAt(now)).ToList();
        if (active.Any(r => r.Kind == TargetKind.BlockedProfessional &&
                            string.Equals(r.Value, query.ViewerProfessionalId, StringComparison.OrdinalIgnoreCase)))
        {
            return Deny(AccessDecisionReason.ProfessionalBlocked, consent.Version);
        }

        if (active.Any(r => r.Kind == TargetKind.BlockedOrganisation &&
                            string.Equals(r.Value, query.ViewerOrganisation, StringComparison.OrdinalIgnoreCase)))
        {
            return Deny(AccessDecisionReason.OrganisationBlocked, consent.Version);
        }

        var organisations = Values(active, TargetKind.WithheldOrganisation);
        var entries = Values(active, TargetKind.WithheldEntry);
        var requested = query.RequestedCategories.Count == 0 ? AllCategories : query.RequestedCategories;
        var withheldCategories = active
            .Where(r => r.Kind == TargetKind.WithheldCategory)
            .Select(r => new RestrictionTarget(r.Kind, r.Value).AsCategory())
            .Where(c => c != RecordCategory.Demographics && requested.Contains(c))
            .Distinct()
            .Order()
            .ToArray();
        var released = active.Any(r => r.Kind == TargetKind.SensitiveEntriesRelease);
        var restricted = organisations.Length > 0 || entries.Length > 0 || withheldCategories.Length > 0;

        return new AccessOutcome(
            AccessDecision.Permit,
            restricted ? AccessDecisionReason.RestrictionsApplied : AccessDecisionReason.NoRestrictions,
            organisations,
            withheldCategories,
            entries,
            released,
            consent.Version);
    }

    private static string[] Values(List<SnapshotRestriction> active, TargetKind kind) =>
        active.Where(r => r.Kind == kind).Select(r => r.Value).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();

    private static AccessOutcome Deny(AccessDecisionReason reason, long version) =>
        new(AccessDecision.Deny, reason, [], [], [], false, version);
}
