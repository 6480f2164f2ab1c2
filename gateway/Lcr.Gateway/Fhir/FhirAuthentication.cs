using Lcr.Security;

namespace Lcr.Gateway.Fhir;

/// <summary>
/// The one place the FHIR API authenticates a request: the <c>Authorization: Bearer</c>
/// header, verified as a patient-bound access token by the gateway's
/// <see cref="AccessTokenVerifier"/> (keys cached locally, as for gRPC calls). Anything else
/// is the verifier's refusal (UNAUTHENTICATED, answered 401 with WWW-Authenticate by
/// <see cref="FhirErrors"/>). When the gateway moves to ASP.NET Core authentication handlers,
/// this method is the seam to switch.
/// </summary>
public sealed class FhirAuthentication(AccessTokenVerifier verifier)
{
    public async Task<VerifiedAccessToken> AuthenticateAsync(HttpContext http)
    {
        string? token = null;
        var header = http.Request.Headers.Authorization;
        if (header.Count == 1 && header[0] is { } value && value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            token = value["Bearer ".Length..].Trim();
        }

        return await verifier.VerifyAsync(token, http.RequestAborted);
    }
}
