using System.Diagnostics.Metrics;

namespace Lcr.Gateway.Telemetry;

/// <summary>The gateway's own metrics (meter <c>Lcr.Gateway</c>). Labels never carry patient identifiers.</summary>
public sealed class GatewayMetrics : IDisposable
{
    public const string MeterName = "Lcr.Gateway";
    private readonly Meter _meter;

    public GatewayMetrics(IMeterFactory meters)
    {
        _meter = meters.Create(MeterName);
        Reads = _meter.CreateCounter<long>("lcr.gateway.record_reads", description: "Record reads answered with data (each has a committed audit event).");
        Denials = _meter.CreateCounter<long>("lcr.gateway.denials", description: "Refused record reads, by reason.");
        AuditFailures = _meter.CreateCounter<long>("lcr.gateway.audit_failures", description: "Audit events that could not be committed (reads answered UNAVAILABLE).");
        ReadDuration = _meter.CreateHistogram<double>("lcr.gateway.read.duration", unit: "ms", description: "Record read latency at the gateway.");
        ReadCache = _meter.CreateCounter<long>("lcr.gateway.read_cache",
            description: "Internal answers looked up in the gateway's version-checked read cache, by kind and outcome (hit, miss).");
        RateLimited = _meter.CreateCounter<long>("lcr.gateway.rate_limited", description: "Calls refused with RESOURCE_EXHAUSTED.");
        ViewSurgeSkipped = _meter.CreateCounter<long>("lcr.gateway.view_surge.skipped",
            description: "Record views the view-surge rule could not count or act on, by cause (queue_full, redis_unavailable, seal_failed).");
        ViewSurgeSeals = _meter.CreateCounter<long>("lcr.gateway.view_surge.seals", description: "Records sealed automatically after a view surge.");
    }

    public Counter<long> Reads { get; }
    public Counter<long> Denials { get; }
    public Counter<long> AuditFailures { get; }
    public Histogram<double> ReadDuration { get; }
    public Counter<long> RateLimited { get; }
    public Counter<long> ReadCache { get; }
    public Counter<long> ViewSurgeSkipped { get; }
    public Counter<long> ViewSurgeSeals { get; }

    public void Dispose() => _meter.Dispose();
}
