using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Lcr.Security;

/// <summary>
/// ASP.NET Core authentication over the platform's own tokens: the request's bearer token is
/// verified once, locally with identity's published keys, as the kind it declares (its JOSE
/// <c>typ</c>: access, system or session), and becomes the request's principal
/// (<see cref="CallerIdentity"/>). A token that does not verify leaves the request
/// unauthenticated with the verifier's refusal as the failure (UNAUTHENTICATED with its reason,
/// or UNAVAILABLE when no signing keys can be had); the authorization middleware answers a
/// protected call with exactly that (<c>GrpcAuthorizationResultHandler</c>), before the
/// request's body is read.
/// </summary>
public class PlatformTokenAuthenticationHandler(
    IOptionsMonitor<PlatformTokenAuthenticationOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    AccessTokenVerifier access, SystemTokenVerifier systems, PlatformTokenVerifier tokens)
    : AuthenticationHandler<PlatformTokenAuthenticationOptions>(options, logger, encoder)
{
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var raw = BearerToken.FromHeaderValue(Request.Headers.Authorization);
        var type = DeclaredTypeOf(raw);
        var cancel = Context.RequestAborted;
        try
        {
            CallerIdentity caller;
            if (type is not null && Options.TokenTypes.Contains(type))
            {
                caller = type switch
                {
                    TokenTypes.Access => Of(await access.VerifyAsync(raw, cancel)),
                    TokenTypes.System => Of(await systems.VerifyAsync(raw, cancel)),
                    _ => Of(type, await tokens.VerifyAsync(raw, type, cancel)),
                };
            }
            else
            {
                // No token, not a JWT, or a kind this service does not take: the access-token
                // verifier's own refusal (TOKEN_MISSING, TOKEN_MALFORMED, TOKEN_WRONG_TYPE...).
                await access.VerifyAsync(raw, cancel);
                throw PlatformTokenVerifier.Refuse(TokenRefusal.WrongType, "The token is not of the kind this call needs.");
            }

            var refusal = await RecheckAsync(caller, cancel);
            return refusal is null
                ? AuthenticateResult.Success(new AuthenticationTicket(new System.Security.Claims.ClaimsPrincipal(caller), Scheme.Name))
                : AuthenticateResult.Fail(refusal);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Refused, or no keys to be had: authorization answers a protected call with this.
            return AuthenticateResult.Fail(e);
        }
    }

    /// <summary>
    /// A further check of a caller whose token verified (identity re-checks its database: the
    /// professional still active, the client still enabled); null to accept, else the refusal.
    /// </summary>
    protected virtual Task<Exception?> RecheckAsync(CallerIdentity caller, CancellationToken cancellationToken) =>
        Task.FromResult<Exception?>(null);

    private static CallerIdentity Of(VerifiedAccessToken token) => new(TokenTypes.Access, token.ProfessionalId, token, []);

    private static CallerIdentity Of(VerifiedSystemToken token) => new(TokenTypes.System, token.ClientId, token, token.Scopes);

    private static CallerIdentity Of(string type, JsonWebToken session) => new(type, session.Subject, session, []);

    /// <summary>The token's declared <c>typ</c> (unverified; null without a readable JWT).</summary>
    internal static string? DeclaredTypeOf(string? raw)
    {
        if (raw is null || raw.Length > PlatformTokenVerifier.MaxTokenLength)
        {
            return null;
        }

        try
        {
            return new JsonWebToken(raw).Typ;
        }
        catch (Exception e) when (e is ArgumentException or SecurityTokenException or System.Text.Json.JsonException)
        {
            return null; // not a JWT: verification refuses it as malformed
        }
    }
}
