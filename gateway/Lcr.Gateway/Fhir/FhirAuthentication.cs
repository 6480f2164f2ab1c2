using Lcr.Gateway.Access;
using Lcr.Security;

namespace Lcr.Gateway.Fhir;

/// <summary>
/// The one place the FHIR API authenticates a request. The <c>Authorization: Bearer</c> header was
/// verified once, before the endpoint ran, by the gateway's ASP.NET Core authentication handler
/// (<c>PlatformTokenAuthenticationHandler</c>, keys cached locally; the rate limiter charged the
/// request to the same verified subject); this reads the verified patient-bound access token from
/// <c>HttpContext.User</c> through the check a gRPC read uses (<see cref="CallerAuthenticator"/>).
/// Anything else is that check's refusal (UNAUTHENTICATED, answered 401 with WWW-Authenticate by
/// <see cref="FhirErrors"/>, or UNAVAILABLE when no keys could be had).
/// </summary>
public sealed class FhirAuthentication(CallerAuthenticator authenticator)
{
    public Task<VerifiedAccessToken> AuthenticateAsync(HttpContext http) => Task.FromResult(authenticator.RequireAccess(http.User));
}
