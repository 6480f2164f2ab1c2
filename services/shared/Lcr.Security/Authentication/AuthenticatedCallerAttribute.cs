using Microsoft.AspNetCore.Authorization;

namespace Lcr.Security;

/// <summary>Authorize: Any verified token the service takes (the policy <see cref="CallerPolicies.Authenticated"/>).</summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = true)]
public sealed class AuthenticatedCallerAttribute() : AuthorizeAttribute(CallerPolicies.Authenticated);
