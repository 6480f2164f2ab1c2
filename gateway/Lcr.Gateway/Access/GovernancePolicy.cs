using Lcr.Common.V1;
using Lcr.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace Lcr.Gateway.Access;

/// <summary>Which professional roles may do information-governance work (consent changes, audit review).</summary>
public sealed class GovernanceOptions
{
    /// <summary>National RBAC role codes of information-governance officers.</summary>
    public List<string> InformationGovernanceRoles { get; } = [];
}

/// <summary>The gateway's per-method permissions for administrative calls, as a small explicit type.</summary>
public sealed class GovernancePolicy(IOptions<GovernanceOptions> options)
{
    /// <summary>Systems pass (their scope was checked); professionals need an IG role.</summary>
    public void RequireInformationGovernance(Actor actor)
    {
        if (actor.Kind == ActorKind.Professional &&
            !options.Value.InformationGovernanceRoles.Contains(actor.RoleCode, StringComparer.OrdinalIgnoreCase))
        {
            throw new PermissionDeniedException("ROLE_NOT_PERMITTED",
                "Only information-governance officers (or systems with the right scope) may make this call.");
        }
    }
}

/// <summary>System scopes the gateway checks, as identity issues them.</summary>
public static class Scopes
{
    public const string RecordContribute = "record.contribute";
    public const string DemographicsWrite = "demographics.write";
    public const string ConsentWrite = "consent.write";
    public const string ConsentRead = "consent.read";
    public const string AuditRead = "audit.read";
    public const string AuditReview = "audit.review";
    public const string RelationshipsWrite = "relationships.write";
}
