using Grpc.Core;
using Grpc.Core.Interceptors;
using Lcr.ServiceDefaults;

namespace Lcr.Gateway.Downstream;

/// <summary>
/// Adds the gateway's own signed internal credential to every call of the identity client used
/// for the signing key fetch (identity accepts only the gateway); nothing else.
/// </summary>
public sealed class PlatformCredentialInterceptor(InternalCredentialsHolder credentials) : Interceptor
{
    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(
        TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncUnaryCallContinuation<TRequest, TResponse> continuation)
    {
        var headers = credentials.Value?.For(PlatformActor.Gateway) ?? CallerHeaders.For(PlatformActor.Gateway);
        foreach (var h in context.Options.Headers ?? [])
        {
            headers.Add(h);
        }

        return continuation(request, new ClientInterceptorContext<TRequest, TResponse>(context.Method, context.Host, context.Options.WithHeaders(headers)));
    }
}
