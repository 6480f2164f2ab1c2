using Microsoft.AspNetCore.Authorization;

namespace Lcr.ServiceDefaults;

/// <summary>
/// The internal-caller policy's requirement: a verified internal credential
/// (<see cref="InternalCallerIdentity"/>), or no internal credentials configured at all
/// (Development/Test). A call without one is challenged: answered UNAUTHENTICATED with the
/// credential's refusal.
/// </summary>
public sealed class InternalCallerRequirement : AuthorizationHandler<InternalCallerRequirement>, IAuthorizationRequirement
{
    private readonly bool _credentialsConfigured;

    public InternalCallerRequirement(InternalCredentialsHolder holder) => _credentialsConfigured = holder.Value is not null;

    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, InternalCallerRequirement requirement)
    {
        if (!_credentialsConfigured || context.User.Identities.OfType<InternalCallerIdentity>().Any())
        {
            context.Succeed(requirement);
        }

        return Task.CompletedTask;
    }
}
