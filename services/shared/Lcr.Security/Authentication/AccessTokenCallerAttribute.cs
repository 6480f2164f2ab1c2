using Microsoft.AspNetCore.Authorization;

namespace Lcr.Security;

/// <summary>Authorize: A professional's patient-bound access token (<see cref="CallerPolicies.AccessToken"/>).</summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = true)]
public sealed class AccessTokenCallerAttribute() : AuthorizeAttribute(CallerPolicies.AccessToken);
