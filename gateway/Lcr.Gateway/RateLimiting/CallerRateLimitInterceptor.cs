using System.Threading.RateLimiting;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Lcr.Gateway.Access;
using Lcr.Gateway.Telemetry;
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
/// A caller is the subject of a bearer token that verifies (the verification the handler needs
/// anyway, done here once and reused by <see cref="CallerAuthenticator"/>). Every call without
/// such a token (none, not a JWT, forged, expired, wrong audience...) is charged to one bucket
/// for its peer address, so forging subjects buys no extra budget and cannot drain a genuine
/// caller's bucket.
/// </summary>
public sealed class CallerRateLimitInterceptor : AdmissionInterceptor, IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter;
    private readonly GatewayMetrics _metrics;
    private readonly CallerAuthenticator _authenticator;

    public CallerRateLimitInterceptor(IOptions<RateLimitOptions> options, GatewayMetrics metrics, CallerAuthenticator authenticator)
    {
        _metrics = metrics;
        _authenticator = authenticator;
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

    /// <summary>Only health probes pass uncounted; reflection is charged like any call.</summary>
    protected override bool IsOpen(string method) => method.StartsWith("/grpc.health.v1.Health/", StringComparison.Ordinal);

    protected override async ValueTask AdmitAsync(ServerCallContext context)
    {
        var credential = await _authenticator.CredentialAsync(context);
        using var lease = _limiter.AttemptAcquire(PartitionKey(credential.VerifiedSubject, context.Peer));
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

    /// <summary>The same admission for a request of another door (the FHIR API's <c>Fhir.FhirCallContext</c>).</summary>
    public ValueTask AdmitRequestAsync(ServerCallContext context) => AdmitAsync(context);

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
