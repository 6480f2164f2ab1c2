using Lcr.Identity.Domain;
using Lcr.Identity.Persistence;
using Lcr.Identity.V1;
using Lcr.ServiceDefaults;
using Microsoft.EntityFrameworkCore;

namespace Lcr.Identity.Application;

/// <summary>
/// ListActiveRoleAssignments (internal to the platform): a professional's role assignments that
/// are active now (started, not ended, at an active organisation, with a role the catalogue
/// knows), each with its role's permissions. The gateway asks it to learn at which
/// organisations a signed-in professional is a privacy officer. Unknown or inactive
/// professionals have none.
/// </summary>
public sealed class ActiveRoleAssignmentService(IdentityDbContext db, RoleCatalogue roles, TimeProvider clock)
{
    public async Task<ListActiveRoleAssignmentsResponse> ListAsync(ListActiveRoleAssignmentsRequest request, CancellationToken ct)
    {
        if (!Identifiers.TryGuid(request.ProfessionalId, out var id))
        {
            throw new InvalidArgumentException("professional_id", "must be a professional id (a UUID)");
        }

        var now = clock.GetUtcNow();
        var response = new ListActiveRoleAssignmentsResponse();
        var professional = await db.Professionals.AsNoTracking().Include(p => p.RoleAssignments)
            .SingleOrDefaultAsync(p => p.Id == id && p.Active, ct);
        if (professional is null)
        {
            return response;
        }

        var organisations = await db.Organisations.AsNoTracking().Where(o => o.Active).ToDictionaryAsync(o => o.OdsCode, o => o.DisplayName, ct);
        response.RoleAssignments.AddRange(professional.RoleAssignments
            .Where(r => r.StartTime <= now && (r.EndTime is null || r.EndTime > now) && organisations.ContainsKey(r.OrganisationOds) &&
                        roles.Find(r.RoleCode) is not null)
            .OrderBy(r => r.StartTime).ThenBy(r => r.Id)
            .Select(r => Mapping.ToProto(r, roles, organisations)));
        return response;
    }
}
