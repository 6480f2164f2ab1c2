using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http;

namespace Lcr.ServiceDefaults;

/// <summary>
/// Turns the authorization middleware's refusals of a gRPC call into gRPC statuses with the
/// platform's ErrorInfo, through the same mapping as every handler's failures
/// (<see cref="ErrorMappingInterceptor.StatusFor"/>): a challenge is answered with the reason
/// authentication failed (the token verifier's refusal, or UNAVAILABLE when no signing keys can
/// be had), a forbid with the failed requirement's <see cref="RefusalReason"/>. A gRPC JSON
/// transcoding call (HTTP/JSON) gets the same status as JSON with its HTTP code, as the
/// transcoder answers a handler's failure; other requests get ASP.NET Core's default answer.
/// </summary>
public sealed class GrpcAuthorizationResultHandler(ErrorMappingInterceptor errors) : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        var transcoded = GrpcStatusResponse.IsTranscoded(context);
        if (authorizeResult.Succeeded || !(transcoded || GrpcStatusResponse.IsGrpc(context)))
        {
            await _default.HandleAsync(next, context, policy, authorizeResult);
            return;
        }

        var refusal = RefusalOf(authorizeResult, authorizeResult.Challenged ? await AuthenticationFailureAsync(context, policy) : null);
        var status = errors.StatusFor(refusal, context.Request.Path.Value ?? string.Empty);
        await (transcoded ? GrpcStatusResponse.WriteJsonAsync(context, status) : GrpcStatusResponse.WriteAsync(context, status));
    }

    /// <summary>
    /// Why the policy's schemes (in order: the internal credential before a bearer token), or the
    /// default scheme, did not authenticate the call. Each result is cached for the request: this
    /// reads it, it does not verify again.
    /// </summary>
    private static async Task<Exception?> AuthenticationFailureAsync(HttpContext context, AuthorizationPolicy policy)
    {
        if (policy.AuthenticationSchemes.Count == 0)
        {
            return (await context.AuthenticateAsync()).Failure;
        }

        foreach (var scheme in policy.AuthenticationSchemes)
        {
            if ((await context.AuthenticateAsync(scheme)).Failure is { } failure)
            {
                return failure;
            }
        }

        return null;
    }

    /// <summary>
    /// What a refused call is told: when challenged, why authentication failed; when forbidden,
    /// the first failed requirement's refusal; a generic UNAUTHENTICATED / PERMISSION_DENIED
    /// only when neither says (no platform handler produced the refusal).
    /// </summary>
    public static Exception RefusalOf(PolicyAuthorizationResult result, Exception? authenticationFailure)
    {
        if (result.Challenged)
        {
            return authenticationFailure
                ?? new UnauthenticatedException("UNAUTHENTICATED", "This call needs a valid credential.");
        }

        return result.AuthorizationFailure?.FailureReasons.OfType<RefusalReason>().FirstOrDefault()?.Refusal
            ?? (Exception)new PermissionDeniedException("PERMISSION_DENIED", "The caller may not make this call.");
    }
}
