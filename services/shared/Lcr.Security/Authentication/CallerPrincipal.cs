using System.Security.Claims;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Lcr.Security;

/// <summary>
/// Reads the verified caller from a request's principal (<c>HttpContext.User</c>, set by
/// <see cref="PlatformTokenAuthenticationHandler"/>): the verification's result, never a
/// second verification.
/// </summary>
public static class CallerPrincipal
{
    /// <summary>The verified caller, or null when the request carried no token that verified.</summary>
    public static CallerIdentity? Caller(this ClaimsPrincipal principal) =>
        principal.Identities.OfType<CallerIdentity>().FirstOrDefault();

    /// <summary>The subject of the verified token (professional or client id), or null.</summary>
    public static string? VerifiedSubject(this ClaimsPrincipal principal) => principal.Caller()?.Subject;

    /// <summary>The professional's verified patient-bound access token, or null for any other caller.</summary>
    public static VerifiedAccessToken? AccessToken(this ClaimsPrincipal principal) =>
        principal.Caller()?.Verified as VerifiedAccessToken;

    /// <summary>The system client's verified token, or null for any other caller.</summary>
    public static VerifiedSystemToken? SystemToken(this ClaimsPrincipal principal) =>
        principal.Caller()?.Verified as VerifiedSystemToken;

    /// <summary>The professional's verified session token, or null for any other caller.</summary>
    public static JsonWebToken? SessionToken(this ClaimsPrincipal principal) =>
        principal.Caller() is { TokenType: TokenTypes.Session, Verified: JsonWebToken session } ? session : null;
}
