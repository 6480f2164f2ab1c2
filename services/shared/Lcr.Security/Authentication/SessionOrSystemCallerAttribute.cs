using Microsoft.AspNetCore.Authorization;

namespace Lcr.Security;

/// <summary>Authorize: a professional's session token or a system token with any scope (<see cref="CallerPolicies.SessionOrSystem"/>).</summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = true)]
public sealed class SessionOrSystemCallerAttribute() : AuthorizeAttribute(CallerPolicies.SessionOrSystem);
