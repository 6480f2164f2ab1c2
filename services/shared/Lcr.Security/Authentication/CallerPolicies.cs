namespace Lcr.Security;

/// <summary>
/// The names of the platform's caller policies (built on demand by
/// <see cref="CallerPolicyProvider"/>), used through the attributes
/// <see cref="AuthenticatedCallerAttribute"/>, <see cref="AccessTokenCallerAttribute"/>,
/// <see cref="SessionCallerAttribute"/>, <see cref="SystemScopeAttribute"/>,
/// <see cref="GovernanceCallerAttribute"/> and <see cref="SessionOrSystemScopeAttribute"/>.
/// </summary>
public static class CallerPolicies
{
    /// <summary>Any verified token the service takes.</summary>
    public const string Authenticated = "caller:any";

    /// <summary>A professional's patient-bound access token.</summary>
    public const string AccessToken = "caller:access";

    /// <summary>A professional's session token.</summary>
    public const string Session = "caller:session";

    /// <summary>Prefix of "a system token with this scope".</summary>
    public const string SystemScopePrefix = "caller:system:";

    /// <summary>
    /// Prefix of the information-governance policy: an access token (its patient, purpose and
    /// role are checked by the handler) or a system token with this scope.
    /// </summary>
    public const string GovernancePrefix = "caller:governance:";

    /// <summary>A professional's session token or a system token (any scope).</summary>
    public const string SessionOrSystem = "caller:session-or-system";

    /// <summary>
    /// Prefix of "a professional's session token, or a system token with this scope" (privacy
    /// alerts: a privacy officer signed in, whose role the handler checks, or a system).
    /// </summary>
    public const string SessionOrSystemScopePrefix = "caller:session-or-system:";

    /// <summary>"A system token with <paramref name="scope"/>".</summary>
    public static string SystemScope(string scope) => SystemScopePrefix + scope;

    /// <summary>"A session token, or a system token with <paramref name="scope"/>".</summary>
    public static string SessionOrSystemScope(string scope) => SessionOrSystemScopePrefix + scope;

    /// <summary>"An access token, or a system token with <paramref name="scope"/>".</summary>
    public static string Governance(string scope) => GovernancePrefix + scope;

    /// <summary>The requirement a policy name stands for, or null for a name that is not a caller policy.</summary>
    public static CallerRequirement? RequirementOf(string name, IReadOnlySet<string> serviceKinds)
    {
        static HashSet<string> Of(params string[] kinds) => new(kinds, StringComparer.Ordinal);
        return name switch
        {
            Authenticated => new CallerRequirement(serviceKinds, null),
            AccessToken => new CallerRequirement(Of(TokenTypes.Access), null),
            Session => new CallerRequirement(Of(TokenTypes.Session), null),
            SessionOrSystem => new CallerRequirement(Of(TokenTypes.Session, TokenTypes.System), null),
            _ when name.StartsWith(SystemScopePrefix, StringComparison.Ordinal) && name.Length > SystemScopePrefix.Length =>
                new CallerRequirement(Of(TokenTypes.System), name[SystemScopePrefix.Length..]),
            _ when name.StartsWith(SessionOrSystemScopePrefix, StringComparison.Ordinal) && name.Length > SessionOrSystemScopePrefix.Length =>
                new CallerRequirement(Of(TokenTypes.Session, TokenTypes.System), name[SessionOrSystemScopePrefix.Length..]),
            _ when name.StartsWith(GovernancePrefix, StringComparison.Ordinal) && name.Length > GovernancePrefix.Length =>
                new CallerRequirement(Of(TokenTypes.Access, TokenTypes.System), name[GovernancePrefix.Length..]),
            _ => null,
        };
    }
}
