namespace Lcr.Identity.Domain;

/// <summary>Claims only identity reads, on the session tokens it issues and verifies itself.</summary>
public static class SessionClaims
{
    /// <summary>A federated session's role assignment: every access token of the session is issued in it.</summary>
    public const string RoleAssignment = "lcr_session_role_assignment";

    /// <summary>The configured name of the provider that vouched for a federated session.</summary>
    public const string Provider = "lcr_idp";

    /// <summary>
    /// A federated session's national RBAC activity codes (JSON array) of the role profile it was
    /// exchanged with; absent on password sessions. Read by IssueAccessToken and IssueEmergencyAccessToken.
    /// </summary>
    public const string Activities = "lcr_session_activities";
}
