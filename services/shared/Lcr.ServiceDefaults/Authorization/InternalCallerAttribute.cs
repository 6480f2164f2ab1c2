using Microsoft.AspNetCore.Authorization;

namespace Lcr.ServiceDefaults;

/// <summary>
/// Authorize: a call from an allowed platform service with a valid internal credential (policy
/// <see cref="PolicyName"/>; every call when no internal credentials are configured, Development/Test only).
/// On every internal service's gRPC class.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = true)]
public sealed class InternalCallerAttribute() : AuthorizeAttribute(PolicyName)
{
    /// <summary>The policy's name.</summary>
    public const string PolicyName = "internal-caller";
}
