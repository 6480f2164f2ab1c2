using Microsoft.AspNetCore.Authorization;

namespace Lcr.Security;

/// <summary>Authorize: A professional's session token (<see cref="CallerPolicies.Session"/>).</summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = true)]
public sealed class SessionCallerAttribute() : AuthorizeAttribute(CallerPolicies.Session);
