using Grpc.Core;
using Lcr.ServiceDefaults;

namespace Lcr.Gateway.Access;

/// <summary>
/// The gateway's first check on every call: a bearer token that verifies, or UNAUTHENTICATED,
/// before the request's text is guarded or validated (gateway.proto orders the steps so). Only
/// the calls that exist to obtain a token (SignIn, IssueSystemToken, ExchangeFederatedToken: its
/// credential is the provider's ID token in the request), the public signing keys,
/// health and reflection are open. Which kind of token a call needs, and its scope, patient and
/// purpose, stay the handler's checks (<see cref="CallerAuthenticator"/>).
/// </summary>
public sealed class AuthenticatedCallInterceptor(CallerAuthenticator authenticator) : AdmissionInterceptor
{
    private static readonly HashSet<string> OpenMethods = new(StringComparer.Ordinal)
    {
        "/lcr.identity.v1.IdentityService/SignIn",
        "/lcr.identity.v1.IdentityService/IssueSystemToken",
        "/lcr.identity.v1.IdentityService/ExchangeFederatedToken",
        "/lcr.identity.v1.IdentityService/ListSigningKeys",
    };

    /// <summary>True for the calls any caller may make without a token.</summary>
    protected override bool IsOpen(string method) => OpenMethods.Contains(method) || IsProbeOrTool(method);

    protected override async ValueTask AdmitAsync(ServerCallContext context) => await authenticator.AuthenticateAsync(context);
}
