using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Lcr.ServiceDefaults;

/// <summary>
/// A server interceptor that admits or refuses a call before its handler (or any later
/// interceptor) sees the request: one check, <see cref="AdmitAsync"/>, run for every kind of
/// method (unary and all three streaming kinds), so a new streaming method can never skip it.
/// Health and reflection are open to every caller (probes and generic tools) unless
/// <see cref="IsOpen"/> is overridden.
/// </summary>
public abstract class AdmissionInterceptor : Interceptor
{
    /// <summary>Throws to refuse the call; returns to let it through.</summary>
    protected abstract ValueTask AdmitAsync(ServerCallContext context);

    /// <summary>Calls admitted without the check: health and reflection.</summary>
    protected virtual bool IsOpen(string method) => IsProbeOrTool(method);

    /// <summary>The gRPC health and reflection services, open to probes and tools everywhere.</summary>
    public static bool IsProbeOrTool(string method) =>
        method.StartsWith("/grpc.health.v1.Health/", StringComparison.Ordinal) ||
        method.StartsWith("/grpc.reflection.", StringComparison.Ordinal);

    private ValueTask CheckAsync(ServerCallContext context) => IsOpen(context.Method) ? ValueTask.CompletedTask : AdmitAsync(context);

    public sealed override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context,
        UnaryServerMethod<TRequest, TResponse> continuation)
    {
        await CheckAsync(context);
        return await continuation(request, context);
    }

    public sealed override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream,
        ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        await CheckAsync(context);
        await continuation(request, responseStream, context);
    }

    public sealed override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream,
        ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        await CheckAsync(context);
        return await continuation(requestStream, context);
    }

    public sealed override async Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream,
        IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        await CheckAsync(context);
        await continuation(requestStream, responseStream, context);
    }
}
