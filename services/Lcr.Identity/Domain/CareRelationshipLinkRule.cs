using Lcr.Identity.Persistence;

namespace Lcr.Identity.Domain;

/// <summary>
/// Whether one care relationship (current or ended) links an organisation to its patient: the
/// organisation recorded it (its feed), or it names the organisation or one of the
/// organisation's teams. A named professional links no further organisation: a feed names only
/// professionals with a role at its own organisation (<see cref="RelationshipBoundary"/>), and
/// the relationship gives them access only in that role, so a second role elsewhere must not
/// let that other organisation act for the patient. Pure: the caller loads the rows.
/// </summary>
public static class CareRelationshipLinkRule
{
    /// <param name="relationship">The relationship.</param>
    /// <param name="organisationOds">The organisation, normalised (upper case).</param>
    public static bool Links(CareRelationshipRow relationship, string organisationOds)
    {
        if (string.Equals(relationship.SourceOrganisation, organisationOds, StringComparison.Ordinal))
        {
            return true;
        }

        return relationship.SubjectKind switch
        {
            RelationshipSubject.Organisation => string.Equals(relationship.SubjectValue, organisationOds, StringComparison.Ordinal),
            RelationshipSubject.Team => string.Equals(Identifiers.TeamOrganisation(relationship.SubjectValue), organisationOds, StringComparison.Ordinal),
            _ => false,
        };
    }
}
