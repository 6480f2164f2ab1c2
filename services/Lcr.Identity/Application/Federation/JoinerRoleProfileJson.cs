namespace Lcr.Identity.Application.Federation;

/// <summary>A role profile as kept in <c>federated_joiners.role_profiles_json</c>.</summary>
public sealed record JoinerRoleProfileJson(string RoleProfileId, string OrgCode, string RoleCode);
