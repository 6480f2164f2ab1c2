using System.Collections.Concurrent;
using Grpc.Core;
using Lcr.Common.V1;
using Lcr.ServiceDefaults;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;

namespace Lcr.Gateway.Downstream;

/// <summary>
/// Every call the gateway makes to an internal service goes through here, which gives it:
/// a deadline (the caller's less <see cref="DownstreamOptions.DeadlineReserve"/>, capped by
/// <see cref="DownstreamOptions.DefaultCallTimeout"/>),
/// the caller's cancellation, the signed internal credential naming the actor, a circuit
/// breaker per service (a dead service fails fast with UNAVAILABLE instead of piling up
/// waits), and translation of the service's failures into statuses fit for an external caller.
/// </summary>
public sealed class Downstream(
    DownstreamChannels channels,
    IOptions<DownstreamOptions> options,
    InternalCredentialsHolder credentials,
    TimeProvider clock)
{
    private readonly ConcurrentDictionary<string, ResiliencePipeline> _breakers = new(StringComparer.OrdinalIgnoreCase);

    public Lcr.Identity.V1.IdentityService.IdentityServiceClient Identity => new(channels[ServiceNames.Identity]);
    public Lcr.Demographics.V1.DemographicsService.DemographicsServiceClient Demographics => new(channels[ServiceNames.Demographics]);
    public Lcr.Consent.V1.ConsentService.ConsentServiceClient Consent => new(channels[ServiceNames.Consent]);
    public Lcr.Clinical.V1.ClinicalRecordService.ClinicalRecordServiceClient Clinical => new(channels[ServiceNames.Clinical]);
    public Lcr.Audit.V1.AuditService.AuditServiceClient Audit => new(channels[ServiceNames.Audit]);

    /// <summary>Call options for a downstream call made on behalf of <paramref name="actor"/>.</summary>
    public CallOptions Options(ServerCallContext context, Actor actor, Metadata? extraHeaders = null)
    {
        // The caller's deadline less a reserve, so that a service that does not answer leaves the
        // gateway time to answer UNAVAILABLE itself (the caller would otherwise see only its own
        // DEADLINE_EXCEEDED, with nothing to say which dependency failed).
        var now = clock.GetUtcNow().UtcDateTime;
        var deadline = now + options.Value.DefaultCallTimeout;
        var remaining = context.Deadline - now;
        var callerBound = remaining <= TimeSpan.Zero
            ? context.Deadline
            : context.Deadline - TimeSpan.FromTicks(Math.Min(options.Value.DeadlineReserve.Ticks, remaining.Ticks / 5));
        if (callerBound < deadline)
        {
            deadline = callerBound;
        }

        var headers = credentials.Value?.For(actor) ?? CallerHeaders.For(actor);
        if (extraHeaders is not null)
        {
            foreach (var h in extraHeaders)
            {
                headers.Add(h);
            }
        }

        return new CallOptions(headers, deadline, context.CancellationToken);
    }

    /// <summary>
    /// Runs one unary call to <paramref name="service"/> through its circuit breaker. Downstream
    /// refusals (INVALID_ARGUMENT, NOT_FOUND, ABORTED, ...) pass through with their details;
    /// unavailability, deadlines and open circuits become UNAVAILABLE naming the service, and a
    /// fault inside it becomes INTERNAL (never its internals).
    /// </summary>
    public async Task<TResponse> CallAsync<TResponse>(string service, Func<AsyncUnaryCall<TResponse>> call, CancellationToken cancellationToken)
    {
        var breaker = _breakers.GetOrAdd(service, CreateBreaker);
        try
        {
            return await breaker.ExecuteAsync(static async (state, _) => await state(), call, cancellationToken);
        }
        catch (BrokenCircuitException e)
        {
            throw new DependencyUnavailableException(service.ToUpperInvariant() + "_UNAVAILABLE",
                $"The {service.ToLowerInvariant()} service is unavailable (circuit open); retry shortly.", e);
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.Internal or StatusCode.Unknown or StatusCode.DataLoss)
        {
            // A fault inside the service: not something a retry fixes, and nothing of it is passed on.
            throw new DependencyFailedException(service.ToUpperInvariant() + "_FAILED",
                $"The {service.ToLowerInvariant()} service failed to process the call; quote the trace id to the platform team.", e);
        }
        catch (RpcException e) when (IsFailure(e))
        {
            if (e.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException(cancellationToken);
            }

            throw new DependencyUnavailableException(service.ToUpperInvariant() + "_UNAVAILABLE",
                $"The {service.ToLowerInvariant()} service did not answer in time or failed; retry shortly.", e);
        }
    }

    /// <summary>
    /// A failure to reach or hear from the service. A RESOURCE_EXHAUSTED the service itself
    /// answered with the platform's ErrorInfo (e.g. identity's SIGN_IN_THROTTLED, with its
    /// RetryInfo) is its answer to this caller: passed on as it is, and never counted against
    /// the service's circuit, or one caller being held back would open it for everybody. So is
    /// a write the service refused because it could not announce it to the patient version
    /// store (UNAVAILABLE VERSION_STORE_UNAVAILABLE or WRITE_TOO_SLOW, nothing written): the
    /// service is up and still answers reads, which a Redis outage must not take away.
    /// </summary>
    internal static bool IsFailure(RpcException e) =>
        e.StatusCode switch
        {
            StatusCode.Unavailable => !IsVersionStoreRefusal(e),
            StatusCode.DeadlineExceeded or StatusCode.Cancelled => true,
            StatusCode.ResourceExhausted => e.GetRpcStatus()?.GetDetail<Google.Rpc.ErrorInfo>()?.Domain != ErrorDomain.Name,
            _ => false,
        };

    private static bool IsVersionStoreRefusal(RpcException e) =>
        e.GetRpcStatus()?.GetDetail<Google.Rpc.ErrorInfo>() is { } info && info.Domain == ErrorDomain.Name
        && info.Reason is "VERSION_STORE_UNAVAILABLE" or "WRITE_TOO_SLOW";

    private ResiliencePipeline CreateBreaker(string service) => new ResiliencePipelineBuilder()
        .AddCircuitBreaker(new CircuitBreakerStrategyOptions
        {
            FailureRatio = options.Value.BreakerFailureRatio,
            MinimumThroughput = options.Value.BreakerMinimumThroughput,
            SamplingDuration = TimeSpan.FromSeconds(10),
            BreakDuration = options.Value.BreakerBreakDuration,
            ShouldHandle = new PredicateBuilder().Handle<RpcException>(e => IsFailure(e) && e.StatusCode != StatusCode.Cancelled),
        })
        .Build();
}
