using Lcr.Identity.Domain;
using Lcr.Identity.Persistence;
using Lcr.Identity.V1;
using Lcr.ServiceDefaults;
using Microsoft.EntityFrameworkCore;

namespace Lcr.Identity.Application;

/// <summary>
/// CheckOrganisationLink (internal to the platform): whether a care relationship, current or
/// ended, links an organisation to a patient (<see cref="CareRelationshipLinkRule"/>). The gateway
/// asks it, with the clinical and demographics services, before an organisation's
/// information-governance officers or systems act for a patient.
/// </summary>
public sealed class OrganisationLinkService(IdentityDbContext db)
{
    public async Task<CheckOrganisationLinkResponse> CheckAsync(CheckOrganisationLinkRequest request, CancellationToken ct)
    {
        var v = new FieldViolations();
        NhsNumber.Validate(request.NhsNumber, v);
        var ods = Identifiers.NormaliseOds(request.OrganisationOdsCode);
        v.Check(Identifiers.IsOdsCode(ods), "organisation_ods_code", "must be an ODS code: 3 to 10 letters and digits");
        v.ThrowIfAny();

        var relationships = await db.CareRelationships.AsNoTracking()
            .Where(r => r.NhsNumber == request.NhsNumber)
            .ToListAsync(ct);

        return new CheckOrganisationLinkResponse { Linked = relationships.Any(r => CareRelationshipLinkRule.Links(r, ods)) };
    }
}
