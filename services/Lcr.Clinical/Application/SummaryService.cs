using System.Diagnostics;
using Google.Protobuf;
using Lcr.Clinical.Caching;
using Lcr.Clinical.Domain;
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
/// <para>
/// With exclusions (<see cref="SummaryExclusions"/>), the unfiltered summary comes from those
/// tiers and the exclusions are applied to it: lists filtered, counts by group dropped, and the
/// individually excluded entries subtracted after one indexed count taken in the same snapshot
/// as a check that the record is still at the summary's version (if it moved on, the summary is
/// fetched again). When a list may now be missing entries it should show (a full list lost some,
/// or a latest result was excluded), the filtered summary is computed from PostgreSQL instead.
/// The result is kept in this replica's memory under (patient, exclusions, record version).
/// </para>
/// <para>
/// A merged record (<c>merged_nhs_numbers</c>, <see cref="MergedNumbers"/>) is read number by
/// number through the same tiers, each checked against its own record version, and combined
/// (<see cref="SummaryCombiner"/>); its record version is the sum. Exclusions then apply to the
/// combined summary as above, counted across the set.
/// </para>
/// <para>
/// Alerts end with time, not with a contribution: every read drops from the summary the alerts
/// whose end date has passed (<see cref="AlertRules.DropEnded"/>).
/// </para>
/// </summary>
public sealed class SummaryService(
    ClinicalDbContext db,
    SummaryCache cache,
    SummaryMemory memory,
    ClinicalMetrics metrics,
    SummaryFlights flights,
    SummaryBuilder builder,
    IServiceScopeFactory scopes,
    TimeProvider clock)
{
    /// <summary>How often a filtered read fetches the summary again when the record moves on under it.</summary>
    private const int MaxVersionRetries = 3;

    /// <summary>
    /// GetRecordSummary: validated; the summary of the patient and of the numbers merged into it
    /// (each number's unfiltered summary from its own tiers, combined by <see cref="SummaryCombiner"/>);
    /// unfiltered or with the request's exclusions applied; without alerts whose end date has passed.
    /// </summary>
    public async Task<RecordSummary> GetAsync(GetRecordSummaryRequest request, CancellationToken ct)
    {
        var v = new FieldViolations();
        var numbers = NhsNumber.Validate(request.NhsNumber, v)
            ? MergedNumbers.From(request.NhsNumber, request.MergedNhsNumbers, v)
            : [];
        var exclusions = SummaryExclusions.From(request, v);
        v.ThrowIfAny();
        var (summary, versions) = await GetCombinedAsync(numbers, ct);
        if (!exclusions.IsEmpty)
        {
            summary = await ApplyAsync(numbers, summary, versions, exclusions, ct);
        }

        // A summary is cached by record version, but an alert's end date passes with time: drop
        // the ended ones on every read, and compute afresh when a full alerts list lost some.
        var (current, complete) = AlertRules.DropEnded(summary, clock.GetUtcNow());
        return complete ? current : await ComputeFilteredAsync(numbers, exclusions, ct);
    }

    /// <summary>
    /// The unfiltered summary of a patient and the numbers merged into it, each number's from its
    /// cheapest tier; and, for a merged set, each number's record version (the combined version is
    /// their sum, and two sums observed by concurrent readers can be equal for different versions).
    /// </summary>
    private async Task<(RecordSummary Summary, string Versions)> GetCombinedAsync(IReadOnlyList<string> numbers, CancellationToken ct)
    {
        var parts = new List<RecordSummary>(numbers.Count);
        foreach (var number in numbers)
        {
            parts.Add(await GetAsync(number, ct));
        }

        var versions = parts.Count == 1 ? string.Empty : string.Join(',', parts.Select(p => p.RecordVersion));
        return (SummaryCombiner.Combine(numbers[0], parts), versions);
    }

    private async Task<RecordSummary> ApplyAsync(IReadOnlyList<string> numbers, RecordSummary summary, string versions, SummaryExclusions exclusions,
        CancellationToken ct)
    {
        var set = MergedNumbers.Key(numbers) + "|" + exclusions.Fingerprint();
        for (var attempt = 0; attempt < MaxVersionRetries; attempt++)
        {
            // For a merged set the key names every number's version, not only their sum.
            var key = versions.Length == 0 ? set : set + "|" + versions;
            if (memory.Filtered.Get(key, summary.RecordVersion) is { } remembered)
            {
                metrics.Hit("memory-filtered");
                return remembered;
            }

            var excluded = exclusions.EntryIds.Count == 0 || summary.RecordVersion == 0
                ? []
                : await builder.CountExcludedAsync(numbers, summary.RecordVersion, exclusions.EntryIds, ct);
            if (excluded is null)
            {
                // A contribution landed between the summary and the count: take the newer summary.
                (summary, versions) = await GetCombinedAsync(numbers, ct);
                continue;
            }

            var (filtered, complete) = exclusions.Apply(summary, excluded);
            if (!complete)
            {
                filtered = await ComputeFilteredAsync(numbers, exclusions, ct);
            }

            memory.Filtered.Set(key, filtered.RecordVersion, filtered);
            return filtered;
        }

        // The record keeps changing under us: compute the filtered summary in one snapshot.
        return await ComputeFilteredAsync(numbers, exclusions, ct);
    }

    private async Task<RecordSummary> ComputeFilteredAsync(IReadOnlyList<string> numbers, SummaryExclusions exclusions, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var summary = await builder.ComputeAsync(numbers, exclusions, ct);
        metrics.Computed(Stopwatch.GetElapsedTime(started));
        return summary;
    }

    /// <summary>The unfiltered summary at the current record version, from the cheapest tier that has it.</summary>
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

    /// <summary>Summaries with exclusions applied, keyed by patient and a fingerprint of the exclusions.</summary>
    public VersionedLocalCache<RecordSummary> Filtered { get; } = new(options.Value.LocalEntries, options.Value.TimeToLive);

    public void Dispose()
    {
        Summaries.Dispose();
        Filtered.Dispose();
    }
}

/// <summary>The process-wide single-flight table for summary computations, keyed by (patient, record version).</summary>
public sealed class SummaryFlights
{
    public SingleFlight<(string NhsNumber, long RecordVersion), RecordSummary> Flights { get; } = new();
}
