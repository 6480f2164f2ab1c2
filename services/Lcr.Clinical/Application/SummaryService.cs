using System.Diagnostics;
using Google.Protobuf;
using Lcr.Clinical.Caching;
using Lcr.Clinical.Persistence;
using Lcr.Clinical.V1;
using Lcr.ServiceDefaults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Lcr.Clinical.Application;

/// <summary>
/// GetRecordSummary: cache-aside over <see cref="SummaryBuilder"/>, two tiers deep.
/// <list type="number">
/// <item>Read the patient's record version from PostgreSQL (a primary-key lookup on
/// <c>patient_records</c>): every tier is checked against it.</item>
/// <item>This replica's memory (<see cref="SummaryMemory"/>), keyed by (patient, record
/// version): a summary at a version never changes, so an entry under the current version is a
/// hit with no Redis round trip, on any replica, with nothing to invalidate.</item>
/// <item>Redis: a cached summary at the current record version is a hit (and is kept in
/// memory). Anything else (absent, older, Redis unreachable) is a miss.</item>
/// <item>On a miss, concurrent readers of one patient at one record version share a single
/// computation (<see cref="SingleFlight{TKey,TValue}"/>), which stores its result
/// conditionally in Redis (<see cref="SummaryCache.StoreAsync"/>) and in memory.</item>
/// </list>
/// Because a hit must match PostgreSQL's record version, a summary is never older than the last
/// committed contribution, even when an invalidation could not reach Redis (Redis down or
/// partitioned during a contribution and restored later with its old data).
/// </summary>
public sealed class SummaryService(
    ClinicalDbContext db,
    SummaryCache cache,
    SummaryMemory memory,
    ClinicalMetrics metrics,
    SummaryFlights flights,
    IServiceScopeFactory scopes)
{
    public async Task<RecordSummary> GetAsync(string nhsNumber, CancellationToken ct)
    {
        NhsNumber.Require(nhsNumber);
        var current = await db.PatientRecords.AsNoTracking()
            .Where(r => r.NhsNumber == nhsNumber).Select(r => r.RecordVersion).SingleOrDefaultAsync(ct);
        if (memory.Summaries.Get(nhsNumber, current) is { } remembered)
        {
            metrics.Hit("memory");
            return remembered;
        }

        var cached = await cache.GetAsync(nhsNumber);
        if (cached.Lookup == CacheLookup.Found && cached.Version == current)
        {
            metrics.Hit("redis");
            var summary = RecordSummary.Parser.ParseFrom(cached.Data);
            memory.Summaries.Set(nhsNumber, current, summary);
            return summary;
        }

        metrics.Miss(cached.Lookup switch
        {
            CacheLookup.Found => "stale",
            CacheLookup.Absent => "absent",
            _ => "unavailable",
        });

        // Joining a flight keyed by the version read above is safe: that flight started after
        // this version was committed, and computes at this version or later.
        return await flights.Flights.RunAsync((nhsNumber, current), () => ComputeAndStoreAsync(nhsNumber), ct);
    }

    private async Task<RecordSummary> ComputeAndStoreAsync(string nhsNumber)
    {
        var started = Stopwatch.GetTimestamp();
        await using var scope = scopes.CreateAsyncScope();
        var builder = scope.ServiceProvider.GetRequiredService<SummaryBuilder>();
        var summary = await builder.ComputeAsync(nhsNumber, CancellationToken.None);
        metrics.Computed(Stopwatch.GetElapsedTime(started));
        await cache.StoreAsync(nhsNumber, summary.RecordVersion, summary.ToByteArray());
        memory.Summaries.Set(nhsNumber, summary.RecordVersion, summary);
        return summary;
    }
}

/// <summary>
/// This replica's in-memory tier of summaries (<c>Clinical:SummaryCache:LocalEntries</c>,
/// default 5,000; 0 turns it off). The summaries in it are shared by concurrent readers and are
/// never modified after they are stored.
/// </summary>
public sealed class SummaryMemory(IOptions<SummaryCacheOptions> options) : IDisposable
{
    public VersionedLocalCache<RecordSummary> Summaries { get; } = new(options.Value.LocalEntries, options.Value.TimeToLive);

    public void Dispose() => Summaries.Dispose();
}

/// <summary>The process-wide single-flight table for summary computations, keyed by (patient, record version).</summary>
public sealed class SummaryFlights
{
    public SingleFlight<(string NhsNumber, long RecordVersion), RecordSummary> Flights { get; } = new();
}
