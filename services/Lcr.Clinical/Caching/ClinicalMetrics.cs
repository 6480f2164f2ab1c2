using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Lcr.Clinical.Caching;

/// <summary>
/// The service's own metrics (meter <c>Lcr.Clinical</c>) and activity source. Tags carry
/// only outcomes and reasons: never a patient, key or clinical value.
/// </summary>
public sealed class ClinicalMetrics
{
    public const string MeterName = "Lcr.Clinical";

    public static readonly ActivitySource Activities = new(MeterName);

    private readonly Counter<long> _hits;
    private readonly Counter<long> _misses;
    private readonly Counter<long> _errors;
    private readonly Counter<long> _computations;
    private readonly Counter<long> _invalidations;
    private readonly Counter<long> _contributed;
    private readonly Histogram<double> _computeMs;

    public ClinicalMetrics(IMeterFactory meters)
    {
        Meter = meters.Create(MeterName);
        _hits = Meter.CreateCounter<long>("lcr.clinical.summary_cache.hits", "{read}", "Record summaries served from a cache (tier: memory of this replica, redis, or memory-filtered for a summary with exclusions applied).");
        _misses = Meter.CreateCounter<long>("lcr.clinical.summary_cache.misses", "{read}",
            "Record summaries not served from cache (reason: absent, stale or unavailable).");
        _errors = Meter.CreateCounter<long>("lcr.clinical.summary_cache.errors", "{operation}",
            "Redis operations that failed or were skipped because Redis was unreachable (operation: get, store, invalidate).");
        _invalidations = Meter.CreateCounter<long>("lcr.clinical.summary_cache.invalidations", "{patient}",
            "Summary cache invalidations after committed contributions and retractions.");
        _computations = Meter.CreateCounter<long>("lcr.clinical.summary.computations", "{summary}",
            "Record summaries computed from PostgreSQL (concurrent misses for one patient share one).");
        _computeMs = Meter.CreateHistogram<double>("lcr.clinical.summary.compute_duration", "ms",
            "Time to compute a record summary from PostgreSQL.");
        _contributed = Meter.CreateCounter<long>("lcr.clinical.entries.contributed", "{entry}",
            "Contributed entries by outcome (created, updated, unchanged, retracted).");
    }

    /// <summary>The meter instance (tests listen to this one only).</summary>
    public Meter Meter { get; }

    public void Hit(string tier) => _hits.Add(1, new KeyValuePair<string, object?>("tier", tier));

    public void Miss(string reason) => _misses.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void Error(string operation) => _errors.Add(1, new KeyValuePair<string, object?>("operation", operation));

    public void Invalidated(int patients) => _invalidations.Add(patients);

    public void Computed(TimeSpan elapsed)
    {
        _computations.Add(1);
        _computeMs.Record(elapsed.TotalMilliseconds);
    }

    public void Contributed(string outcome, int count)
    {
        if (count > 0)
        {
            _contributed.Add(count, new KeyValuePair<string, object?>("outcome", outcome));
        }
    }
}
