using System.Diagnostics;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Logging;

namespace Lcr.ServiceDefaults;

/// <summary>
/// The one place where failures become gRPC statuses. Domain exceptions become their
/// canonical status with <c>ErrorInfo</c> (and <c>BadRequest</c> for validation);
/// cancellation becomes CANCELLED or DEADLINE_EXCEEDED; anything unexpected becomes a bare
/// INTERNAL with a trace id to quote, and its details stay in the (scrubbed) server log.
/// </summary>
public sealed partial class ErrorMappingInterceptor(ILogger<ErrorMappingInterceptor> logger) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not RpcException)
        {
            throw Map(e, context);
        }
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(requestStream, context).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not RpcException)
        {
            throw Map(e, context);
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(request, responseStream, context).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not RpcException)
        {
            throw Map(e, context);
        }
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(requestStream, responseStream, context).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not RpcException)
        {
            throw Map(e, context);
        }
    }

    internal RpcException Map(Exception e, ServerCallContext context)
    {
        if (e is OperationCanceledException && context.CancellationToken.IsCancellationRequested)
        {
            var expired = context.Deadline <= DateTime.UtcNow;
            return new RpcException(new Status(
                expired ? StatusCode.DeadlineExceeded : StatusCode.Cancelled,
                expired ? "The call's deadline passed before it completed." : "The call was cancelled by the caller."));
        }

        return StatusFor(e, context.Method).ToRpcException();
    }

    /// <summary>
    /// The rich status a failure of <paramref name="method"/> is answered with, logged as the
    /// interceptor logs it: a domain exception as its canonical status with ErrorInfo, a
    /// dependency that is down as UNAVAILABLE, anything else as a bare INTERNAL with a trace id.
    /// Also used where a call is refused before any interceptor runs (the authorization
    /// middleware's refusals, <see cref="GrpcAuthorizationResultHandler"/>).
    /// </summary>
    public Google.Rpc.Status StatusFor(Exception e, string method)
    {
        switch (e)
        {
            case LcrException domain:
                if (domain.Code is StatusCode.Unavailable or StatusCode.Internal)
                {
                    LogDependencyFailure(logger, method, domain.Reason, e);
                }
                else
                {
                    LogDomainFailure(logger, method, domain.Code, domain.Reason);
                }

                return domain.ToStatus();

            case var _ when IsTransient(e):
                LogDependencyFailure(logger, method, "DEPENDENCY_UNAVAILABLE", e);
                return new DependencyUnavailableException("DEPENDENCY_UNAVAILABLE", "A dependency of the service is unavailable; retry later.")
                    .ToStatus();

            default:
                var traceId = Activity.Current?.TraceId.ToHexString() ?? "none";
                LogUnexpected(logger, method, traceId, e);
                return new Google.Rpc.Status
                {
                    Code = (int)StatusCode.Internal,
                    Message = $"An internal error occurred. Quote trace id {traceId} to the platform team.",
                    Details =
                    {
                        Google.Protobuf.WellKnownTypes.Any.Pack(new Google.Rpc.ErrorInfo
                        {
                            Reason = "INTERNAL", Domain = ErrorDomain.Name, Metadata = { ["trace_id"] = traceId },
                        }),
                    },
                };
        }
    }

    /// <summary>
    /// A dependency that is down or restarting, however it is wrapped: Npgsql's transient
    /// failures (connection refused or reset, server shutting down), timeouts, and EF Core's
    /// wrappers of them (the retry strategy's "retry limit exceeded" and "likely due to a
    /// transient failure" exceptions carry the last failure as their inner exception). Such a
    /// call may be retried: it is UNAVAILABLE, not INTERNAL.
    /// </summary>
    internal static bool IsTransient(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            if (x is Npgsql.NpgsqlException { IsTransient: true } or TimeoutException)
            {
                return true;
            }
        }

        return false;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Method} refused: {Code} {Reason}")]
    private static partial void LogDomainFailure(ILogger logger, string method, StatusCode code, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Method} failed on a dependency: {Reason}")]
    private static partial void LogDependencyFailure(ILogger logger, string method, string reason, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Method} failed unexpectedly (trace {TraceId})")]
    private static partial void LogUnexpected(ILogger logger, string method, string traceId, Exception exception);
}
