using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Lcr.Gateway.Access;

/// <summary>
/// The gateway's first check on every call: a bearer token that verifies, or UNAUTHENTICATED,
/// before the request's text is guarded or validated (gateway.proto orders the steps so). Only
/// the calls that exist to obtain a token (SignIn, IssueSystemToken), the public signing keys,
/// health and reflection are open. Which kind of token a call needs, and its scope, patient and
/// purpose, stay the handler's checks (<see cref="CallerAuthenticator"/>).
/// </summary>
public sealed class AuthenticatedCallInterceptor(CallerAuthenticator authenticator) : Interceptor
{
    private static readonly HashSet<string> OpenMethods = new(StringComparer.Ordinal)
    {
        "/lcr.identity.v1.IdentityService/SignIn",
        "/lcr.identity.v1.IdentityService/IssueSystemToken",
        "/lcr.identity.v1.IdentityService/ListSigningKeys",
    };

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context,
        UnaryServerMethod<TRequest, TResponse> continuation)
    {
        await AuthenticateAsync(context);
        return await continuation(request, context);
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream,
        ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        await AuthenticateAsync(context);
        await continuation(request, responseStream, context);
    }

    /// <summary>True for the calls any caller may make without a token.</summary>
    internal static bool IsOpen(string method) =>
        OpenMethods.Contains(method) ||
        method.StartsWith("/grpc.health.v1.Health/", StringComparison.Ordinal) ||
        method.StartsWith("/grpc.reflection.", StringComparison.Ordinal);

    private Task AuthenticateAsync(ServerCallContext context) =>
        IsOpen(context.Method) ? Task.CompletedTask : authenticator.AuthenticateAsync(context);
}
