namespace Lcr.Identity.Domain.Federation;

/// <summary>One <c>nhsid_nrbac_roles</c> entry of a CIS2-shaped token: a role profile of the person.</summary>
public sealed record NrbacRole(string PersonRoleId, string OrgCode, string RoleCode, IReadOnlyList<string> ActivityCodes)
{
    /// <summary>The job role code: the last colon-separated part of <see cref="RoleCode"/>.</summary>
    public string JobRoleCode => RoleCode[(RoleCode.LastIndexOf(':') + 1)..];
}
