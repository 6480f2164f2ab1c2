using System.Diagnostics;
using Google.Protobuf;
using Lcr.Clinical.Caching;
using Lcr.Clinical.Persistence;
using Lcr.Clinical.V1;
using Lcr.ServiceDefaults;
using Microsoft.EntityFrameworkCore;

namespace Lcr.Clinical.Application;

/// <summary>
/// GetRecordSummary: cache-aside over <see cref="SummaryBuilder"/>.
/// <list type="number">
/// <item>Ask Redis for the cached summary and PostgreSQL for the patient's record version, in
/// parallel (the version is a primary-key lookup on <c>patient_records</c>).</item>
/// <item>A cached summary at the current record version is a hit. Anything else (absent,
/// older, Redis unreachable) is a miss.</item>
/// <item>On a miss, concurrent readers of one patient at one record version share a single
/// computation (<see cref="SingleFlight{TKey,TValue}"/>), which stores its result
/// conditionally (<see cref="SummaryCache.StoreAsync"/>).</item>
/// </list>
/// Because a hit must match PostgreSQL's record version, a summary is never older than the last
/// committed contribution, even when an invalidation could not reach Redis (Redis down or
/// partitioned during a contribution and restored later with its old data).
/// </summary>
public sealed class SummaryService(
    ClinicalDbContext db,
    SummaryCache cache,
    ClinicalMetrics metrics,
    SummaryFlights flights,
    IServiceScopeFactory scopes)
{
    public async Task<RecordSummary> GetAsync(string nhsNumber, CancellationToken ct)
    {
        NhsNumber.Require(nhsNumber);
        var cachedTask = cache.GetAsync(nhsNumber);
        var current = await db.PatientRecords.AsNoTracking()
            .Where(r => r.NhsNumber == nhsNumber).Select(r => r.RecordVersion).SingleOrDefaultAsync(ct);
        var cached = await cachedTask;
        if (cached.Lookup == CacheLookup.Found && cached.Version == current)
        {
            metrics.Hit();
            return RecordSummary.Parser.ParseFrom(cached.Data);
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
        return summary;
    }
}

/// <summary>The process-wide single-flight table for summary computations, keyed by (patient, record version).</summary>
public sealed class SummaryFlights
{
    public SingleFlight<(string NhsNumber, long RecordVersion), RecordSummary> Flights { get; } = new();
}
