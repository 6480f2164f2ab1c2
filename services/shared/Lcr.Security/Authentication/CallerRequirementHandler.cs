using Lcr.ServiceDefaults;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;

namespace Lcr.Security;

/// <summary>
/// Evaluates <see cref="CallerRequirement"/>; a failure carries its refusal (<see cref="RefusalReason"/>).
/// When the call has no verified caller but was authenticated otherwise (identity: the gateway's
/// internal credential verified, the bearer token not), the refusal is the bearer token's own
/// (the verifier's reason, SESSION_REVOKED, CLIENT_DISABLED...), read from the request's cached
/// authentication result.
/// </summary>
public sealed class CallerRequirementHandler : AuthorizationHandler<CallerRequirement>
{
    protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, CallerRequirement requirement)
    {
        if (requirement.Check(context.User) is not { } refusal)
        {
            context.Succeed(requirement);
            return;
        }

        var failure = context.User.Caller() is null && context.Resource is HttpContext http
            ? (await http.AuthenticateAsync(PlatformTokenAuthenticationOptions.Scheme)).Failure
            : null;
        context.Fail(new RefusalReason(this, failure ?? refusal));
    }
}
