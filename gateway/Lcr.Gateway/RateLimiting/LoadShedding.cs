using System.Threading.RateLimiting;
using Lcr.Gateway.Telemetry;
using Lcr.ServiceDefaults;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Lcr.Gateway.RateLimiting;

/// <summary>
/// Load shedding for the whole gateway replica (issue 22): ASP.NET Core's rate limiting
/// middleware with one global <see cref="ConcurrencyLimiter"/> (<see cref="LoadSheddingOptions"/>).
/// It runs before authentication, so a refused call costs no token verification, no downstream
/// call and no audit event; it is answered at once with RESOURCE_EXHAUSTED, reason
/// <c>GATEWAY_OVERLOADED</c>, ErrorInfo and RetryInfo (gRPC, gRPC-Web), or HTTP 429 with
/// Retry-After (JSON over HTTP, FHIR), the answer shape of <see cref="CallerRateLimitMiddleware"/>.
/// Health checks and server reflection are never shed: a busy replica must still answer its probes.
/// </summary>
public static class LoadShedding
{
    public const string Reason = "GATEWAY_OVERLOADED";

    private static readonly string[] NeverShed =
    [
        "/grpc.health.v1.Health",
        "/grpc.reflection.v1.ServerReflection",
        "/grpc.reflection.v1alpha.ServerReflection",
    ];

    /// <summary>True for the calls that are never shed (health checks, server reflection).</summary>
    public static bool IsExempt(PathString path) =>
        NeverShed.Any(p => path.StartsWithSegments(p, StringComparison.Ordinal));

    /// <summary>Registers the limiter (<c>Gateway:LoadShedding</c>); <c>app.UseRateLimiter()</c> places it in the pipeline.</summary>
    public static IServiceCollection AddGatewayLoadShedding(this IServiceCollection services, IConfiguration config)
    {
        services.AddOptions<LoadSheddingOptions>().Bind(config.GetSection("Gateway:LoadShedding"))
            .Validate(o => o.IsValid, "Gateway:LoadShedding: MaxConcurrentCalls must be at least 1, QueueLimit at least 0, RetryAfter between 1 s and 1 min.")
            .ValidateOnStart();
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<LoadSheddingOptions>, GatewayMetrics>((o, shedding, metrics) =>
        {
            var s = shedding.Value;
            var limiter = new ConcurrencyLimiterOptions
            {
                PermitLimit = s.EffectiveMaxConcurrentCalls,
                QueueLimit = s.EffectiveQueueLimit,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            };
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context => IsExempt(context.Request.Path)
                ? RateLimitPartition.GetNoLimiter("exempt")
                : RateLimitPartition.GetConcurrencyLimiter("calls", _ => limiter));
            o.OnRejected = (rejected, _) =>
            {
                metrics.RateLimited.Add(1, new KeyValuePair<string, object?>("reason", Reason));
                return new ValueTask(CallerRateLimitMiddleware.RefuseAsync(rejected.HttpContext, Overloaded(s.RetryAfter)));
            };
        });
        return services;
    }

    /// <summary>The refusal: no caller text, nothing about the call, only when to come back.</summary>
    internal static ResourceExhaustedException Overloaded(TimeSpan retryAfter) =>
        new(Reason, "The gateway is busy; retry after the delay given.", retryAfter);
}
