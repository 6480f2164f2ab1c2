namespace Lcr.Identity.Domain.Federation;

/// <summary>
/// One row of the national role mapping table: a national RBAC job role code (the last part of a
/// CIS2 <c>role_code</c>, e.g. <c>R8000</c> in <c>S8000:G8000:R8000</c>) becomes a platform role
/// code when the role profile carries every required activity code.
/// </summary>
public sealed class NationalRoleMapping
{
    public string NationalRoleCode { get; set; } = string.Empty;

    public string PlatformRoleCode { get; set; } = string.Empty;

    /// <summary>National activity codes the role profile must carry (e.g. B0264 "access health records").</summary>
    public List<string> RequiredActivityCodes { get; set; } = [];
}
