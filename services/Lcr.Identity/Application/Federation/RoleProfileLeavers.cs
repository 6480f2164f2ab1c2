using Lcr.Identity.Domain.Federation;
using Lcr.Identity.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Lcr.Identity.Application.Federation;

/// <summary>
/// Leavers at the provider. A role assignment remembers the provider role profile (<c>person_roleid</c>)
/// it was first exchanged through; at every exchange through that provider, an assignment whose role
/// profile is no longer in the token ends at once (end time now). Sessions bound to it stop at once:
/// a federated session acts only in its bound assignment, and an ended one issues no access token.
/// </summary>
public sealed class RoleProfileLeavers(IdentityDbContext db)
{
    /// <summary>The still-active assignments bound to a role profile of <paramref name="provider"/> that the token no longer carries.</summary>
    public static IReadOnlySet<Guid> Ended(IEnumerable<RoleAssignmentRow> assignments, string provider, IReadOnlyList<NrbacRole> tokenRoles, DateTimeOffset now)
    {
        var inToken = tokenRoles.Select(r => r.PersonRoleId).ToHashSet(StringComparer.Ordinal);
        return assignments
            .Where(a => a.FederatedProvider == provider && a.FederatedRoleProfileId is { } profile && !inToken.Contains(profile) &&
                        (a.EndTime is null || a.EndTime > now))
            .Select(a => a.Id)
            .ToHashSet();
    }

    /// <summary>Ends the assignments (inside the caller's transaction).</summary>
    public async Task EndAsync(Guid professionalId, IReadOnlySet<Guid> ended, DateTimeOffset now, CancellationToken ct)
    {
        if (ended.Count == 0)
        {
            return;
        }

        var ids = ended.ToList();
        await db.RoleAssignments.Where(r => r.ProfessionalId == professionalId && ids.Contains(r.Id) && (r.EndTime == null || r.EndTime > now))
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.EndTime, now), ct);
    }

    /// <summary>Binds the assignment to the role profile it was exchanged through, at its first use (inside the caller's transaction).</summary>
    public Task BindAsync(Guid assignmentId, string provider, string roleProfileId, CancellationToken ct) =>
        db.RoleAssignments.Where(r => r.Id == assignmentId && r.FederatedRoleProfileId == null)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.FederatedProvider, provider).SetProperty(r => r.FederatedRoleProfileId, roleProfileId), ct);
}
