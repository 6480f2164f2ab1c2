using Grpc.Core;
using Lcr.Common.V1;
using Lcr.ServiceDefaults;

namespace Lcr.Gateway.Access;

/// <summary>
/// Who is working privacy alerts and whose: a privacy officer (the organisations where they hold
/// a privacy officer role, with that role's code at each) or a system with <c>audit.review</c>
/// (its own organisation). <see cref="Organisations"/> is null for the platform's own IG
/// organisations, which see every organisation's alerts.
/// </summary>
public sealed record PrivacyAlertCaller(Actor Actor, IReadOnlySet<string>? Organisations, IReadOnlyDictionary<string, string> RoleCodes)
{
    /// <summary>Whether a case alerted to <paramref name="organisationOds"/> is this caller's to see.</summary>
    public bool Sees(string? organisationOds) =>
        Organisations is null || (!string.IsNullOrEmpty(organisationOds) && Organisations.Contains(organisationOds));

    /// <summary>
    /// The header telling the audit service whose cases this caller may read or decide
    /// (<see cref="CallerHeaders.OrganisationScope"/>); none for a caller who sees every organisation.
    /// </summary>
    public Metadata? ScopeHeaders() => Organisations is null
        ? null
        : new Metadata
        {
            // "-" (no organisation has that code) when the set is empty: an empty header value may not be sent at all.
            { CallerHeaders.OrganisationScope, Organisations.Count == 0 ? "-" : string.Join(',', Organisations.Order(StringComparer.Ordinal)) },
        };

    /// <summary>
    /// The actor to record for a decision on a case of <paramref name="organisationOds"/>: a
    /// privacy officer acting in their role there (a session names neither), a system as itself.
    /// </summary>
    public Actor ActingFor(string? organisationOds)
    {
        if (Actor.Kind != ActorKind.Professional)
        {
            return Actor;
        }

        var acting = Actor.Clone();
        if (!string.IsNullOrEmpty(organisationOds) && RoleCodes.TryGetValue(organisationOds, out var role))
        {
            acting.Organisation = new OrganisationReference { OdsCode = organisationOds };
            acting.RoleCode = role;
        }
        else if (RoleCodes.Count > 0)
        {
            // A platform privacy officer deciding another organisation's case acts from their own.
            var (ods, code) = RoleCodes.OrderBy(r => r.Key, StringComparer.Ordinal).First();
            acting.Organisation = new OrganisationReference { OdsCode = ods };
            acting.RoleCode = code;
        }

        return acting;
    }
}
