using Grpc.Core;
using Lcr.ServiceDefaults;
using Polly.CircuitBreaker;

namespace Lcr.Gateway.Downstream;

/// <summary>
/// Which downstream answers are failures of the service (counted by its circuit breaker) and how
/// they are translated for an external caller. Pure, unit-tested without a host.
/// </summary>
public static class DownstreamFailures
{
    /// <summary>
    /// A failure to reach or hear from the service. A RESOURCE_EXHAUSTED the service itself
    /// answered with the platform's ErrorInfo (e.g. identity's SIGN_IN_THROTTLED, with its
    /// RetryInfo) is its answer to this caller: passed on as it is, and never counted against
    /// the service's circuit, or one caller being held back would open it for everybody. So is
    /// a write the service refused because it could not announce it to the patient version
    /// store (UNAVAILABLE VERSION_STORE_UNAVAILABLE or WRITE_TOO_SLOW, nothing written): the
    /// service is up and still answers reads, which a Redis outage must not take away.
    /// </summary>
    public static bool IsFailure(RpcException e) =>
        e.StatusCode switch
        {
            StatusCode.Unavailable => !IsVersionStoreRefusal(e),
            StatusCode.DeadlineExceeded or StatusCode.Cancelled => true,
            StatusCode.ResourceExhausted => e.GetRpcStatus()?.GetDetail<Google.Rpc.ErrorInfo>()?.Domain != ErrorDomain.Name,
            _ => false,
        };

    /// <summary>Whether the circuit breaker counts <paramref name="e"/> (a caller's own cancellation is not the service's fault).</summary>
    public static bool CountsAgainstCircuit(RpcException e) => IsFailure(e) && e.StatusCode != StatusCode.Cancelled;

    /// <summary>
    /// What the gateway throws instead of <paramref name="e"/>, or null to let it pass: downstream
    /// refusals (INVALID_ARGUMENT, NOT_FOUND, ABORTED, ...) pass through with their details;
    /// unavailability, deadlines and open circuits become UNAVAILABLE naming the service, a fault
    /// inside it becomes INTERNAL (never its internals), and a cancellation the caller asked for
    /// stays a cancellation.
    /// </summary>
    public static Exception? Translate(string service, Exception e, CancellationToken cancellationToken) => e switch
    {
        BrokenCircuitException => new DependencyUnavailableException(service.ToUpperInvariant() + "_UNAVAILABLE",
            $"The {service.ToLowerInvariant()} service is unavailable (circuit open); retry shortly.", e),

        // A fault inside the service: not something a retry fixes, and nothing of it is passed on.
        RpcException { StatusCode: StatusCode.Internal or StatusCode.Unknown or StatusCode.DataLoss } =>
            new DependencyFailedException(service.ToUpperInvariant() + "_FAILED",
                $"The {service.ToLowerInvariant()} service failed to process the call; quote the trace id to the platform team.", e),
        RpcException { StatusCode: StatusCode.Cancelled } when cancellationToken.IsCancellationRequested =>
            new OperationCanceledException(cancellationToken),
        RpcException r when IsFailure(r) => new DependencyUnavailableException(service.ToUpperInvariant() + "_UNAVAILABLE",
            $"The {service.ToLowerInvariant()} service did not answer in time or failed; retry shortly.", e),
        _ => null,
    };

    private static bool IsVersionStoreRefusal(RpcException e) =>
        e.GetRpcStatus()?.GetDetail<Google.Rpc.ErrorInfo>() is { } info && info.Domain == ErrorDomain.Name
        && info.Reason is "VERSION_STORE_UNAVAILABLE" or "WRITE_TOO_SLOW";
}
