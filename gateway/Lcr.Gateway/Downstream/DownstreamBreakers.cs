using System.Collections.Concurrent;
using Grpc.Core;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;

namespace Lcr.Gateway.Downstream;

/// <summary>
/// One circuit breaker per internal service, shared by every client and channel of that service
/// (a dead service fails fast with UNAVAILABLE instead of piling up waits).
/// </summary>
public sealed class DownstreamBreakers(IOptions<DownstreamOptions> options)
{
    private readonly ConcurrentDictionary<string, ResiliencePipeline> _breakers = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The breaker of <paramref name="service"/> (one of <see cref="ServiceNames"/>).</summary>
    public ResiliencePipeline For(string service) => _breakers.GetOrAdd(service, Create);

    private ResiliencePipeline Create(string service) => new ResiliencePipelineBuilder()
        .AddCircuitBreaker(new CircuitBreakerStrategyOptions
        {
            FailureRatio = options.Value.BreakerFailureRatio,
            MinimumThroughput = options.Value.BreakerMinimumThroughput,
            SamplingDuration = TimeSpan.FromSeconds(10),
            BreakDuration = options.Value.BreakerBreakDuration,
            ShouldHandle = new PredicateBuilder().Handle<RpcException>(DownstreamFailures.CountsAgainstCircuit),
        })
        .Build();
}
