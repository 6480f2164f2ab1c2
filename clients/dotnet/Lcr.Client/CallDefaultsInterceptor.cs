using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Lcr.Client;

/// <summary>
/// Gives every call a deadline when it has none, and the bearer token of a token source as
/// call credentials (fetched, and renewed when needed, asynchronously per attempt).
/// </summary>
internal sealed class CallDefaultsInterceptor(TimeSpan defaultDeadline, ITokenSource? tokens) : Interceptor
{
    private readonly CallCredentials? _credentials = tokens is null
        ? null
        : CallCredentials.FromInterceptor(async (context, metadata) =>
        {
            var token = await tokens.GetTokenAsync(context.CancellationToken);
            metadata.Add("authorization", token.AuthorizationValue);
        });

    public override TResponse BlockingUnaryCall<TRequest, TResponse>(
        TRequest request, ClientInterceptorContext<TRequest, TResponse> context, BlockingUnaryCallContinuation<TRequest, TResponse> continuation) =>
        continuation(request, With(context));

    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(
        TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncUnaryCallContinuation<TRequest, TResponse> continuation) =>
        continuation(request, With(context));

    public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(
        TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncServerStreamingCallContinuation<TRequest, TResponse> continuation) =>
        continuation(request, With(context));

    public override AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(
        ClientInterceptorContext<TRequest, TResponse> context, AsyncClientStreamingCallContinuation<TRequest, TResponse> continuation) =>
        continuation(With(context));

    public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(
        ClientInterceptorContext<TRequest, TResponse> context, AsyncDuplexStreamingCallContinuation<TRequest, TResponse> continuation) =>
        continuation(With(context));

    private ClientInterceptorContext<TRequest, TResponse> With<TRequest, TResponse>(ClientInterceptorContext<TRequest, TResponse> context)
        where TRequest : class
        where TResponse : class
    {
        var options = context.Options;
        if (options.Deadline is null)
        {
            options = options.WithDeadline(DateTime.UtcNow + defaultDeadline);
        }

        if (_credentials is not null && options.Credentials is null)
        {
            options = options.WithCredentials(_credentials);
        }

        return new ClientInterceptorContext<TRequest, TResponse>(context.Method, context.Host, options);
    }
}
