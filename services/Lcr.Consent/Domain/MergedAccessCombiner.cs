using Lcr.Consent.V1;

namespace Lcr.Consent.Domain;

/// <summary>
/// The access decision over a merged record (an NHS number and the numbers merged into it), as
/// pure code: each number is evaluated on its own by <see cref="AccessEvaluator"/>, then the
/// outcomes are combined here, the stricter winning.
/// <list type="bullet">
/// <item>Any DENY denies the whole record, reported in the single-number order: an opt-out under
/// any number first, then a professional block, then an organisation block.</item>
/// <item>Withheld organisations, categories and entries: the union over every number.</item>
/// <item>Sensitive entries are released only when every number released them (a number with no
/// consent record has not).</item>
/// <item>Sealed when any number is sealed; the viewer is named on the seal only when named on
/// every seal that applies; the access log is under review when any number's is.</item>
/// <item>The consent version is the first (own) number's; the others' are the caller's to list.</item>
/// </list>
/// </summary>
public static class MergedAccessCombiner
{
    private static readonly AccessDecisionReason[] DenyOrder =
        [AccessDecisionReason.PatientOptedOut, AccessDecisionReason.ProfessionalBlocked, AccessDecisionReason.OrganisationBlocked];

    /// <param name="own">The outcome for the record's own NHS number.</param>
    /// <param name="merged">The outcomes for the numbers merged into it (any order).</param>
    public static AccessOutcome Combine(AccessOutcome own, IReadOnlyList<AccessOutcome> merged)
    {
        ArgumentNullException.ThrowIfNull(own);
        ArgumentNullException.ThrowIfNull(merged);
        if (merged.Count == 0)
        {
            return own;
        }

        AccessOutcome[] all = [own, .. merged];
        var seals = all.Where(o => o.Sealed).ToList();
        var sealedAny = seals.Count > 0;
        var named = sealedAny && seals.All(o => o.ViewerNamedOnSeal);
        var underReview = all.Any(o => o.AccessLogUnderReview);

        var denials = all.Where(o => o.Decision == AccessDecision.Deny).ToList();
        if (denials.Count > 0)
        {
            var reason = DenyOrder.FirstOrDefault(r => denials.Any(d => d.Reason == r), denials[0].Reason);
            return new AccessOutcome(AccessDecision.Deny, reason, [], [], [], false, own.ConsentVersion,
                sealedAny, named, underReview);
        }

        var organisations = all.SelectMany(o => o.WithheldOrganisations).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var categories = all.SelectMany(o => o.WithheldCategories).Distinct().Order().ToArray();
        var entries = all.SelectMany(o => o.WithheldEntryIds).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var restricted = organisations.Length > 0 || categories.Length > 0 || entries.Length > 0;
        return new AccessOutcome(
            AccessDecision.Permit,
            restricted ? AccessDecisionReason.RestrictionsApplied : AccessDecisionReason.NoRestrictions,
            organisations,
            categories,
            entries,
            all.All(o => o.SensitiveEntriesReleased),
            own.ConsentVersion,
            sealedAny,
            named,
            underReview);
    }
}
