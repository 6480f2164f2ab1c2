using Lcr.Demographics.V1;

namespace Lcr.Gateway.Access;

/// <summary>
/// When an organisation is linked to a patient, so that its information-governance officers
/// and its systems may act for the patient (consent, the patient's audit trail, subject access,
/// demographic updates). Linked means at least one of:
/// <list type="bullet">
/// <item>the organisation is the patient's registered practice (demographics, current details);</item>
/// <item>the organisation registered the patient or recorded any version of their demographics
/// (each version names the organisation it was recorded for);</item>
/// <item>the organisation contributed any entry to the patient's record, current or retracted;</item>
/// <item>a care relationship, current or ended, names the organisation or one of its teams, or was
/// recorded by the organisation's feed (identity decides this part).</item>
/// </list>
/// The platform's own IG organisations (<see cref="GovernanceOptions.PlatformGovernanceOrganisations"/>)
/// act for every patient. Pure: <see cref="PatientOrganisationLinks"/> gathers the facts.
/// </summary>
public static class OrganisationLinkRule
{
    /// <summary>True when the facts link <paramref name="organisationOds"/> to the patient.</summary>
    /// <param name="organisationOds">The acting organisation's ODS code.</param>
    /// <param name="patient">The patient's current demographics; null when demographics holds none.</param>
    /// <param name="history">Every version of the patient's demographics (any order).</param>
    /// <param name="contributedEntries">The organisation contributed at least one entry (retracted ones included).</param>
    /// <param name="careRelationship">Identity's answer for care relationships.</param>
    public static bool IsLinked(string organisationOds, Patient? patient, IEnumerable<PatientVersion> history,
        bool contributedEntries, bool careRelationship)
    {
        if (string.IsNullOrWhiteSpace(organisationOds))
        {
            return false;
        }

        return contributedEntries || careRelationship ||
               Same(patient?.RegisteredPractice?.OdsCode, organisationOds) ||
               history.Any(v => Same(v.ChangedBy?.Organisation?.OdsCode, organisationOds));
    }

    /// <summary>True for the platform's own IG organisations, which act for every patient.</summary>
    public static bool ActsForEveryone(string organisationOds, GovernanceOptions options) =>
        !string.IsNullOrWhiteSpace(organisationOds) &&
        options.PlatformGovernanceOrganisations.Contains(organisationOds, StringComparer.OrdinalIgnoreCase);

    private static bool Same(string? a, string b) => !string.IsNullOrEmpty(a) && string.Equals(a, b, StringComparison.OrdinalIgnoreCase);
}
