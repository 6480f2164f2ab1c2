using System.Net;
using System.Net.Sockets;
using System.Threading.RateLimiting;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
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
/// Runs between authentication and authorization: a caller is the subject of a bearer token
/// that verified (<c>HttpContext.User</c>, verified once by the authentication handler; nothing
/// here verifies again). Every call without such a token (none, not a JWT, forged, expired,
/// wrong audience...) is charged to one bucket for its peer address, so forging subjects buys
/// no extra budget and cannot drain a genuine caller's bucket; such a call is refused by
/// authorization only after it has been charged.
/// </summary>
public sealed class CallerRateLimitMiddleware : IMiddleware, IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter;
    private readonly GatewayMetrics _metrics;

    public CallerRateLimitMiddleware(IOptions<RateLimitOptions> options, GatewayMetrics metrics)
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

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        // Only health probes pass uncounted; reflection is charged like any call.
        if (!context.Request.Path.StartsWithSegments("/grpc.health.v1.Health", StringComparison.Ordinal))
        {
            using var lease = _limiter.AttemptAcquire(PartitionKey(context.User.VerifiedSubject(), PeerOf(context.Connection)));
            if (!lease.IsAcquired)
            {
                _metrics.RateLimited.Add(1);
                await RefuseAsync(context, new ResourceExhaustedException("RATE_LIMITED",
                    "Too many calls from this caller; slow down and retry after the delay given.", TimeSpan.FromSeconds(1)));
                return;
            }
        }

        await next(context);
    }

    /// <summary>
    /// Answers a refused call before any work: gRPC and gRPC-Web get the status with its ErrorInfo and
    /// RetryInfo; HTTP callers 429 with Retry-After, FHIR callers an OperationOutcome.
    /// </summary>
    internal static Task RefuseAsync(HttpContext context, ResourceExhaustedException refusal)
    {
        if (GrpcStatusResponse.IsGrpc(context))
        {
            return GrpcStatusResponse.WriteAsync(context, refusal.ToStatus()); // RetryInfo in the status details
        }

        context.Response.Headers.RetryAfter = ((int)refusal.RetryAfter.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return context.Request.Path.StartsWithSegments("/fhir", StringComparison.Ordinal)
            ? Fhir.FhirEndpoints.RefuseAsync(context, refusal) // an OperationOutcome, 429
            : GrpcStatusResponse.WriteJsonAsync(context, refusal.ToStatus()); // JSON over HTTP and the rest: google.rpc.Status JSON, 429
    }

    /// <summary>The connection's peer in gRPC's form (<c>ipv4:10.0.0.5:51234</c>, <c>ipv6:[::1]:51234</c>), as ServerCallContext.Peer gives it.</summary>
    internal static string? PeerOf(ConnectionInfo connection) => connection.RemoteIpAddress switch
    {
        { AddressFamily: AddressFamily.InterNetwork } ip => $"ipv4:{ip}:{connection.RemotePort}",
        { AddressFamily: AddressFamily.InterNetworkV6 } ip => $"ipv6:[{ip}]:{connection.RemotePort}",
        IPAddress ip => ip.ToString(),
        null => null,
    };

    /// <summary>
    /// <c>sub:&lt;subject&gt;</c> for a verified caller; otherwise <c>peer:&lt;address&gt;</c>, the
    /// peer's address as sign-in throttling sees it (<see cref="ClientAddress.FromPeer"/>): without
    /// its port (<c>ipv4:10.0.0.5:51234</c> and <c>ipv4:10.0.0.5:51300</c> are one peer) and IPv6 per
    /// /64, so a caller holding a /64 cannot mint a fresh bucket per address.
    /// </summary>
    internal static string PartitionKey(string? verifiedSubject, string? peer) =>
        !string.IsNullOrEmpty(verifiedSubject) ? "sub:" + verifiedSubject : "peer:" + ClientAddress.FromPeer(peer);

    public void Dispose() => _limiter.Dispose();
}
