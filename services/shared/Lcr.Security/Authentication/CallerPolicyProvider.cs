using System.Collections.Concurrent;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;

namespace Lcr.Security;

/// <summary>
/// Builds the caller policies from their names (<see cref="CallerPolicies"/>), so a scope is
/// named once, in the attribute on the gRPC method; any other name is the default provider's.
/// </summary>
public sealed class CallerPolicyProvider(IOptions<AuthorizationOptions> options, IOptionsMonitor<PlatformTokenAuthenticationOptions> schemes)
    : DefaultAuthorizationPolicyProvider(options)
{
    private readonly ConcurrentDictionary<string, AuthorizationPolicy?> _built = new(StringComparer.Ordinal);

    public override async Task<AuthorizationPolicy?> GetPolicyAsync(string policyName) =>
        _built.GetOrAdd(policyName, Build) ?? await base.GetPolicyAsync(policyName);

    private AuthorizationPolicy? Build(string name)
    {
        var kinds = schemes.Get(PlatformTokenAuthenticationOptions.Scheme).TokenTypes;
        return CallerPolicies.RequirementOf(name, kinds) is { } requirement
            ? new AuthorizationPolicyBuilder(PlatformTokenAuthenticationOptions.Scheme).RequireAuthenticatedUser().AddRequirements(requirement).Build()
            : null;
    }
}
