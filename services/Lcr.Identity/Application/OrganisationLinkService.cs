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
/// information-governance officers or systems act for a patient. With the gateway's
/// <c>merged_nhs_numbers</c>, a relationship recorded under any number merged into the patient's links too.
/// </summary>
public sealed class OrganisationLinkService(IdentityDbContext db)
{
    public async Task<CheckOrganisationLinkResponse> CheckAsync(CheckOrganisationLinkRequest request, CancellationToken ct)
    {
        var v = new FieldViolations();
        NhsNumber.Validate(request.NhsNumber, v);
        var ods = Identifiers.NormaliseOds(request.OrganisationOdsCode);
        v.Check(Identifiers.IsOdsCode(ods), "organisation_ods_code", "must be an ODS code: 3 to 10 letters and digits");
        MergedNhsNumbers.Validate(request.MergedNhsNumbers, request.NhsNumber, v);
        v.ThrowIfAny();

        string[] numbers = [request.NhsNumber, .. request.MergedNhsNumbers];
        var relationships = await db.CareRelationships.AsNoTracking()
            .Where(r => numbers.Contains(r.NhsNumber))
            .ToListAsync(ct);

        return new CheckOrganisationLinkResponse { Linked = relationships.Any(r => CareRelationshipLinkRule.Links(r, ods)) };
    }
}
