using Microsoft.AspNetCore.Authorization;

namespace Lcr.Security;

/// <summary>Authorize: a system token carrying <paramref name="scope"/> (<see cref="CallerPolicies.SystemScope"/>).</summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = true)]
public sealed class SystemScopeAttribute(string scope) : AuthorizeAttribute(CallerPolicies.SystemScope(scope))
{
    /// <summary>The scope required.</summary>
    public string Scope { get; } = scope;
}
