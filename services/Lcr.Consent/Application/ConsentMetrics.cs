using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Lcr.Consent.Application;

/// <summary>
/// The consent service's own telemetry: meter and activity source "Lcr.Consent". Tags are
/// low-cardinality codes only (never a patient, viewer or key).
/// </summary>
public sealed class ConsentMetrics
{
    public const string Name = "Lcr.Consent";

    public static readonly ActivitySource ActivitySource = new(Name);

    public ConsentMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(Name);
        CacheHits = meter.CreateCounter<long>("lcr.consent.cache.hits", "{lookup}",
            "EvaluateAccess consent snapshots served from a cache; tag tier = memory (this replica) | redis.");
        CacheMisses = meter.CreateCounter<long>("lcr.consent.cache.misses", "{lookup}",
            "EvaluateAccess consent snapshots rebuilt from PostgreSQL; tag cause = absent | redis_unavailable.");
        NoRecord = meter.CreateCounter<long>("lcr.consent.no_record", "{lookup}",
            "EvaluateAccess calls for patients with no consent record (answered from one index lookup, no cache needed).");
        Decisions = meter.CreateCounter<long>("lcr.consent.decisions", "{decision}",
            "EvaluateAccess outcomes; tags decision and reason.");
    }

    public Counter<long> CacheHits { get; }

    public Counter<long> CacheMisses { get; }

    public Counter<long> NoRecord { get; }

    public Counter<long> Decisions { get; }
}
