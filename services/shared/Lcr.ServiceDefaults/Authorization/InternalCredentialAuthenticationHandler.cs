using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Lcr.ServiceDefaults;

/// <summary>
/// The "internal" authentication scheme of every internal service: verifies the gateway's signed
/// internal credential (<see cref="InternalCredentials"/>, metadata <c>x-lcr-internal</c>) into
/// the request's principal (<see cref="InternalCallerIdentity"/>), or leaves the request
/// unauthenticated with the refusal (INTERNAL_CREDENTIAL_MISSING / _INVALID) for the
/// authorization middleware to answer (<see cref="InternalCallerAttribute"/>). Without internal
/// credentials configured (Development/Test only) it authenticates nobody and the policy admits
/// every call: the actor then comes from the <c>x-lcr-actor-*</c> headers
/// (<see cref="CallerHeaders.RequireActor"/>).
/// </summary>
public sealed class InternalCredentialAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, InternalCredentialsHolder holder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    /// <summary>The scheme's name.</summary>
    public const string SchemeName = "internal";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (holder.Value is not { } credentials)
        {
            return AuthenticateResult.NoResult();
        }

        try
        {
            var (caller, actor) = await credentials.VerifyAsync(Request.Headers[InternalCredentials.Header].ToString() is { Length: > 0 } t ? t : null);
            return AuthenticateResult.Success(new AuthenticationTicket(
                new System.Security.Claims.ClaimsPrincipal(new InternalCallerIdentity(caller, actor)), SchemeName));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return AuthenticateResult.Fail(e);
        }
    }
}
