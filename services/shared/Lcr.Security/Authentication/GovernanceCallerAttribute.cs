using Microsoft.AspNetCore.Authorization;

namespace Lcr.Security;

/// <summary>
/// Authorize: an access token (the handler checks its patient, purpose and role) or a system
/// token carrying <paramref name="scope"/> (<see cref="CallerPolicies.Governance"/>).
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = true)]
public sealed class GovernanceCallerAttribute(string scope) : AuthorizeAttribute(CallerPolicies.Governance(scope))
{
    /// <summary>The scope a system token needs.</summary>
    public string Scope { get; } = scope;
}
