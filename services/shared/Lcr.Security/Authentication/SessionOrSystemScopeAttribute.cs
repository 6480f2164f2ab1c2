using Microsoft.AspNetCore.Authorization;

namespace Lcr.Security;

/// <summary>
/// Authorize: a professional's session token (the handler checks the professional's role) or a
/// system token carrying <paramref name="scope"/> (<see cref="CallerPolicies.SessionOrSystemScope"/>).
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = true)]
public sealed class SessionOrSystemScopeAttribute(string scope) : AuthorizeAttribute(CallerPolicies.SessionOrSystemScope(scope))
{
    /// <summary>The scope a system token needs.</summary>
    public string Scope { get; } = scope;
}
