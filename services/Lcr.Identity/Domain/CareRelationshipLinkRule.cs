using Lcr.Identity.Persistence;

namespace Lcr.Identity.Domain;

/// <summary>
/// Whether one care relationship (current or ended) links an organisation to its patient:
/// the organisation recorded it (its feed), or it names the organisation, one of the
/// organisation's teams, or a professional whose role assignment at the organisation was in
/// force at some time during the relationship. Pure: the caller loads the rows.
/// </summary>
public static class CareRelationshipLinkRule
{
    /// <param name="relationship">The relationship.</param>
    /// <param name="organisationOds">The organisation, normalised (upper case).</param>
    /// <param name="assignmentsAtOrganisation">
    /// Role assignments at <paramref name="organisationOds"/> of the relationship's subject
    /// professional (ignored for other subjects).
    /// </param>
    public static bool Links(CareRelationshipRow relationship, string organisationOds, IEnumerable<RoleAssignmentRow> assignmentsAtOrganisation)
    {
        if (string.Equals(relationship.SourceOrganisation, organisationOds, StringComparison.Ordinal))
        {
            return true;
        }

        return relationship.SubjectKind switch
        {
            RelationshipSubject.Organisation => string.Equals(relationship.SubjectValue, organisationOds, StringComparison.Ordinal),
            RelationshipSubject.Team => string.Equals(Identifiers.TeamOrganisation(relationship.SubjectValue), organisationOds, StringComparison.Ordinal),
            RelationshipSubject.Professional => assignmentsAtOrganisation.Any(a =>
                string.Equals(a.OrganisationOds, organisationOds, StringComparison.Ordinal) &&
                a.ProfessionalId.ToString() == relationship.SubjectValue &&
                Overlaps(a.StartTime, a.EndTime, relationship.StartTime, relationship.EndTime)),
            _ => false,
        };
    }

    /// <summary>Half-open periods [start, end) overlap; a null end is open-ended.</summary>
    public static bool Overlaps(DateTimeOffset aStart, DateTimeOffset? aEnd, DateTimeOffset bStart, DateTimeOffset? bEnd) =>
        (aEnd is null || aEnd > bStart) && (bEnd is null || bEnd > aStart);
}
