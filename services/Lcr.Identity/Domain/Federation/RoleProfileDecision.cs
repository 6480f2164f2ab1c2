namespace Lcr.Identity.Domain.Federation;

/// <summary>What a role profile of a federated token is at the platform: a role assignment, or why not.</summary>
public sealed record RoleProfileDecision(Guid? RoleAssignmentId, string? PlatformRoleCode, string? Refusal)
{
    public static RoleProfileDecision Refused(string reason) => new(null, null, reason);
}
