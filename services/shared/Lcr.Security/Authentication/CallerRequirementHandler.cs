using Lcr.ServiceDefaults;
using Microsoft.AspNetCore.Authorization;

namespace Lcr.Security;

/// <summary>Evaluates <see cref="CallerRequirement"/>; a failure carries its refusal (<see cref="RefusalReason"/>).</summary>
public sealed class CallerRequirementHandler : AuthorizationHandler<CallerRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, CallerRequirement requirement)
    {
        if (requirement.Check(context.User) is { } refusal)
        {
            context.Fail(new RefusalReason(this, refusal));
        }
        else
        {
            context.Succeed(requirement);
        }

        return Task.CompletedTask;
    }
}
