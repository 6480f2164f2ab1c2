using System.Threading.RateLimiting;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Lcr.Gateway.Telemetry;
using Lcr.Security;
using Lcr.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace Lcr.Gateway.RateLimiting;

/// <summary>Per-caller token buckets (<c>Gateway:RateLimit:*</c>), per gateway replica.</summary>
public sealed class RateLimitOptions
{
    /// <summary>Sustained calls per second per caller.</summary>
    public int PermitsPerSecond { get; set; } = 100;

    /// <summary>Burst size per caller.</summary>
    public int Burst { get; set; } = 200;
}

/// <summary>
/// Refuses a caller that exceeds its budget with RESOURCE_EXHAUSTED and a RetryInfo detail.
/// A caller is the token's subject (read without verification, for partitioning only: a
/// forged subject buys its own bucket, and its calls still fail verification), or the peer
/// address for calls without a token (sign-in).
/// </summary>
public sealed class CallerRateLimitInterceptor : Interceptor, IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter;
    private readonly GatewayMetrics _metrics;

    public CallerRateLimitInterceptor(IOptions<RateLimitOptions> options, GatewayMetrics metrics)
    {
        _metrics = metrics;
        var o = options.Value;
        _limiter = PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetTokenBucketLimiter(key, _ =>
            new TokenBucketRateLimiterOptions
            {
                TokenLimit = o.Burst,
                TokensPerPeriod = o.PermitsPerSecond,
                ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                QueueLimit = 0,
                AutoReplenishment = true,
            }));
    }

    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context,
        UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Admit(context);
        return continuation(request, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream,
        ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Admit(context);
        return continuation(request, responseStream, context);
    }

    private void Admit(ServerCallContext context)
    {
        if (context.Method.StartsWith("/grpc.health.v1.Health/", StringComparison.Ordinal))
        {
            return;
        }

        using var lease = _limiter.AttemptAcquire(PartitionKey(context));
        if (lease.IsAcquired)
        {
            return;
        }

        _metrics.RateLimited.Add(1);
        var status = new Google.Rpc.Status
        {
            Code = (int)StatusCode.ResourceExhausted,
            Message = "Too many calls from this caller; slow down and retry after the delay given.",
            Details =
            {
                Any.Pack(new Google.Rpc.ErrorInfo { Reason = "RATE_LIMITED", Domain = ErrorDomain.Name }),
                Any.Pack(new Google.Rpc.RetryInfo { RetryDelay = Duration.FromTimeSpan(TimeSpan.FromSeconds(1)) }),
            },
        };
        throw status.ToRpcException();
    }

    internal static string PartitionKey(ServerCallContext context)
    {
        var token = BearerToken.From(context.RequestHeaders);
        if (token is not null)
        {
            try
            {
                var jwt = new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(token);
                if (!string.IsNullOrEmpty(jwt.Subject))
                {
                    return "sub:" + jwt.Subject;
                }
            }
            catch (ArgumentException)
            {
                // Not a JWT: verification will refuse it; bucket it by peer.
            }
        }

        var peer = context.Peer ?? string.Empty;
        var lastColon = peer.LastIndexOf(':');
        return "peer:" + (lastColon > 0 ? peer[..lastColon] : peer);
    }

    public void Dispose() => _limiter.Dispose();
}
