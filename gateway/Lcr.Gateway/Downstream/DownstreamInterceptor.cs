using Grpc.Core;
using Grpc.Core.Interceptors;
using Lcr.Common.V1;
using Lcr.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace Lcr.Gateway.Downstream;

/// <summary>
/// On every call of the typed client of one internal service: the deadline (the caller's less
/// <see cref="DownstreamOptions.DeadlineReserve"/>, capped by <see cref="DownstreamOptions.DefaultCallTimeout"/>,
/// see <see cref="DownstreamDeadline"/>), the caller's cancellation, the signed internal credential
/// naming the actor set by <see cref="DownstreamCalls.As(Actor, ServerCallContext, Metadata?)"/> (a call
/// without one is refused, never sent unauthenticated), the service's circuit breaker and the
/// translation of its failures (<see cref="DownstreamFailures"/>). Unary calls only: the gateway
/// makes no streaming call downstream, and any other kind is refused.
/// </summary>
public sealed class DownstreamInterceptor(
    string service,
    DownstreamBreakers breakers,
    IOptions<DownstreamOptions> options,
    InternalCredentialsHolder credentials,
    TimeProvider clock) : Interceptor
{
    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(
        TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncUnaryCallContinuation<TRequest, TResponse> continuation)
    {
        var next = new ClientInterceptorContext<TRequest, TResponse>(context.Method, context.Host, Prepare(context.Options));
        var started = new TaskCompletionSource<AsyncUnaryCall<TResponse>>(TaskCreationOptions.RunContinuationsAsynchronously);
        var response = RunAsync(request, next, continuation, started);
        return new AsyncUnaryCall<TResponse>(
            response,
            HeadersAsync(started.Task),
            () => started.Task.IsCompletedSuccessfully ? started.Task.Result.GetStatus() : throw new InvalidOperationException("The call has not started."),
            () => started.Task.IsCompletedSuccessfully ? started.Task.Result.GetTrailers() : throw new InvalidOperationException("The call has not started."),
            () =>
            {
                if (started.Task.IsCompletedSuccessfully)
                {
                    started.Task.Result.Dispose();
                }
            });
    }

    public override TResponse BlockingUnaryCall<TRequest, TResponse>(
        TRequest request, ClientInterceptorContext<TRequest, TResponse> context, BlockingUnaryCallContinuation<TRequest, TResponse> continuation) =>
        throw new NotSupportedException("Downstream calls are asynchronous.");

    public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(
        TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncServerStreamingCallContinuation<TRequest, TResponse> continuation) =>
        throw new NotSupportedException("The gateway makes no streaming downstream call.");

    public override AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(
        ClientInterceptorContext<TRequest, TResponse> context, AsyncClientStreamingCallContinuation<TRequest, TResponse> continuation) =>
        throw new NotSupportedException("The gateway makes no streaming downstream call.");

    public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(
        ClientInterceptorContext<TRequest, TResponse> context, AsyncDuplexStreamingCallContinuation<TRequest, TResponse> continuation) =>
        throw new NotSupportedException("The gateway makes no streaming downstream call.");

    private static async Task<Metadata> HeadersAsync<TResponse>(Task<AsyncUnaryCall<TResponse>> started) =>
        await (await started.ConfigureAwait(false)).ResponseHeadersAsync.ConfigureAwait(false);

    private CallOptions Prepare(CallOptions call)
    {
        Actor? actor = null;
        var extra = new Metadata();
        foreach (var h in call.Headers ?? [])
        {
            if (string.Equals(h.Key, DownstreamCalls.ActorHeader, StringComparison.OrdinalIgnoreCase))
            {
                actor = h.IsBinary ? Actor.Parser.ParseFrom(h.ValueBytes) : null;
            }
            else
            {
                extra.Add(h);
            }
        }

        if (actor is null)
        {
            throw new InvalidOperationException(
                $"A call to the {service.ToLowerInvariant()} service was made without an actor; build its options with DownstreamCalls.As.");
        }

        var headers = credentials.Value?.For(actor) ?? CallerHeaders.For(actor);
        foreach (var h in extra)
        {
            headers.Add(h);
        }

        var deadline = DownstreamDeadline.For(clock.GetUtcNow().UtcDateTime, call.Deadline ?? DateTime.MaxValue,
            options.Value.DefaultCallTimeout, options.Value.DeadlineReserve);
        return new CallOptions(headers, deadline, call.CancellationToken, call.WriteOptions, call.PropagationToken, call.Credentials);
    }

    private async Task<TResponse> RunAsync<TRequest, TResponse>(
        TRequest request,
        ClientInterceptorContext<TRequest, TResponse> context,
        AsyncUnaryCallContinuation<TRequest, TResponse> continuation,
        TaskCompletionSource<AsyncUnaryCall<TResponse>> started)
        where TRequest : class
        where TResponse : class
    {
        var cancellationToken = context.Options.CancellationToken;
        try
        {
            return await breakers.For(service).ExecuteAsync(async _ =>
            {
                var call = continuation(request, context);
                started.TrySetResult(call);
                return await call.ResponseAsync.ConfigureAwait(false);
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (DownstreamFailures.Translate(service, e, cancellationToken) is { } translated)
        {
            throw translated;
        }
        finally
        {
            started.TrySetCanceled(CancellationToken.None);
        }
    }
}
