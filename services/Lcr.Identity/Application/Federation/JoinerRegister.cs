using System.Text.Json;
using Lcr.Identity.Domain;
using Lcr.Identity.Persistence;
using Npgsql;
using Microsoft.EntityFrameworkCore;

namespace Lcr.Identity.Application.Federation;

/// <summary>
/// Keeps the joiners list: a person a trusted provider vouched for whom the platform could not
/// admit (unknown subject, role profiles mapping to nothing or to no role assignment) is added or
/// updated (last seen, attempts, role profiles, name from the token). The name is stored here, as
/// identity stores professionals' names, and never logged.
/// </summary>
public sealed class JoinerRegister(IdentityDbContext db, TimeProvider clock)
{
    public const int Open = 1;
    public const int Linked = 2;
    public const int Dismissed = 3;

    public async Task RecordAsync(FederatedIdentity identity, string subject, string reason, CancellationToken ct)
    {
        var profiles = JsonSerializer.Serialize(identity.Roles.Select(r => new JoinerRoleProfileJson(r.PersonRoleId, r.OrgCode, r.RoleCode)));
        var orgs = identity.Roles.Select(r => r.OrgCode.Trim().ToUpperInvariant()).Distinct().ToList();
        for (var attempt = 0; ; attempt++)
        {
            db.ChangeTracker.Clear();
            var now = clock.UtcNowMicros();
            var row = await db.FederatedJoiners.SingleOrDefaultAsync(j => j.Provider == identity.Provider.Name && j.Subject == subject, ct);
            if (row is null)
            {
                row = new FederatedJoinerRow
                {
                    Id = Guid.NewGuid(), Provider = identity.Provider.Name, Subject = subject, RoleProfilesJson = profiles, LastReason = reason,
                    FirstSeen = now, Status = Open,
                };
                db.FederatedJoiners.Add(row);
            }
            else if (row.Status == Linked)
            {
                row.Status = Open; // refused again after being linked: back on the list
            }

            row.GivenName = identity.GivenName;
            row.FamilyName = identity.FamilyName;
            row.RoleProfilesJson = profiles;
            row.OrganisationOds = orgs;
            row.LastReason = reason;
            row.LastSeen = now;
            row.Attempts++;
            row.Version++;
            try
            {
                await db.SaveChangesAsync(ct);
                return;
            }
            catch (DbUpdateException ex) when (attempt < 3 && (ex is DbUpdateConcurrencyException ||
                ex.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation }))
            {
                // Another replica recorded the same person at the same moment: count on its row.
            }
        }
    }
}
