using Lcr.Gateway.Access;
using Lcr.Security;

namespace Lcr.Gateway.Fhir;

/// <summary>
/// The one place the FHIR API authenticates a request: the <c>Authorization: Bearer</c>
/// header, verified as a patient-bound access token by the gateway's
/// <see cref="AccessTokenVerifier"/> (keys cached locally), through the same
/// <see cref="CallerAuthenticator"/> a gRPC call uses, so the rate limiter's verification of the
/// same request is reused. Anything else is the verifier's refusal (UNAUTHENTICATED, answered
/// 401 with WWW-Authenticate by <see cref="FhirErrors"/>). When the gateway moves to ASP.NET
/// Core authentication handlers, this method is the seam to switch.
/// </summary>
public sealed class FhirAuthentication(CallerAuthenticator authenticator)
{
    public Task<VerifiedAccessToken> AuthenticateAsync(HttpContext http) => authenticator.RequireAccessAsync(FhirCallContext.For(http));
}
