using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Lcr.Consent.V1;

namespace Lcr.Gateway.Records;

/// <summary>
/// What one viewer may see of one patient's record on this call: the categories their role
/// allows and they asked for, less what the patient's consent withholds. Pure; the single
/// place the gateway decides whether an entry may leave it.
/// </summary>
public sealed class AccessScope
{
    /// <param name="categories">The categories the token's role allows and the caller asked for.</param>
    /// <param name="decision">The patient's consent decision.</param>
    /// <param name="sensitiveWithheldByRole">
    /// The access token says the professional's role profile at the identity provider lacks B1611
    /// (<see cref="Lcr.Security.VerifiedAccessToken.SensitiveRecordsWithheld"/>): no sensitive entry, released or not.
    /// </param>
    /// <param name="alertDetailsWithheld">
    /// The access token says the role sees only that each risk or alert exists and its kind
    /// (<see cref="Lcr.Security.VerifiedAccessToken.AlertDetailsWithheld"/>): every alert released is <see cref="AlertKindOnly"/>.
    /// </param>
    public AccessScope(IEnumerable<RecordCategory> categories, EvaluateAccessResponse decision, bool sensitiveWithheldByRole = false,
        bool alertDetailsWithheld = false)
    {
        var withheldCategories = decision.WithheldCategories.ToHashSet();
        Categories = categories.Where(c => !withheldCategories.Contains(c)).ToHashSet();
        WithheldOrganisations = decision.WithheldOrganisationOdsCodes.ToHashSet(StringComparer.OrdinalIgnoreCase);
        WithheldEntryIds = decision.WithheldEntryIds.ToHashSet(StringComparer.Ordinal);
        SensitiveReleased = decision.SensitiveEntriesReleased && !sensitiveWithheldByRole;
        ConsentVersion = decision.ConsentVersion;
        RestrictionsApply = WithheldOrganisations.Count > 0 || WithheldEntryIds.Count > 0 || withheldCategories.Count > 0;
        AlertDetailsWithheld = alertDetailsWithheld && Categories.Contains(RecordCategory.RisksAndAlerts);
    }

    /// <summary>Categories that may be returned.</summary>
    public IReadOnlySet<RecordCategory> Categories { get; }

    public IReadOnlySet<string> WithheldOrganisations { get; }

    public IReadOnlySet<string> WithheldEntryIds { get; }

    /// <summary>The patient has explicitly released their sensitive entries, and the viewer's role profile may see them.</summary>
    public bool SensitiveReleased { get; }

    public long ConsentVersion { get; }

    /// <summary>
    /// The patient has restrictions in force. Told to the viewer (so they know the record is
    /// incomplete at the patient's wish) but never which or how many items; withheld sensitive
    /// entries do not set it, because that alone would disclose that they exist.
    /// </summary>
    public bool RestrictionsApply { get; }

    /// <summary>
    /// Risks and alerts are in scope, and the role sees only that each exists and its kind: the
    /// view says so (<c>alert_details_withheld</c>) and every alert in it is <see cref="AlertKindOnly"/>.
    /// </summary>
    public bool AlertDetailsWithheld { get; }

    /// <summary>
    /// The entries that may leave the gateway, each as this viewer may see it: those
    /// <see cref="Allows"/> passes, alerts reduced to their kind when <see cref="AlertDetailsWithheld"/>.
    /// </summary>
    public IEnumerable<Entry> Release(IEnumerable<Entry> entries) => entries.Where(Allows).Select(Release);

    /// <summary>One allowed entry as this viewer may see it (the caller has checked <see cref="Allows"/>).</summary>
    public Entry Release(Entry entry) => AlertDetailsWithheld ? AlertKindOnly.Apply(entry) : entry;

    /// <summary>True when the entry may be shown to this viewer.</summary>
    public bool Allows(Entry entry) =>
        !entry.EnteredInError &&
        Categories.Contains(entry.Category) &&
        (SensitiveReleased || entry.Sensitivity != Sensitivity.Sensitive) &&
        !WithheldOrganisations.Contains(entry.Provenance?.SourceOrganisation?.OdsCode ?? string.Empty) &&
        !WithheldEntryIds.Contains(entry.Id);

    /// <summary>True when entries with this category, source and sensitivity are counted for this viewer.</summary>
    public bool Counts(RecordCategory category, string sourceOds, Sensitivity sensitivity) =>
        Categories.Contains(category) &&
        (SensitiveReleased || sensitivity != Sensitivity.Sensitive) &&
        !WithheldOrganisations.Contains(sourceOds);
}
