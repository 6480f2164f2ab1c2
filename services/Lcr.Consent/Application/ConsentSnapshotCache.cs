using System.Text.Json;
using Lcr.Consent.Domain;
using Lcr.ServiceDefaults;
using StackExchange.Redis;

namespace Lcr.Consent.Application;

/// <summary>
/// Redis cache of consent snapshots, keyed by the patient's pseudonym and consent version:
/// <c>lcr:consent:snapshot:{pseudonym}:{version}</c>. The snapshot of a version never
/// changes, and every reader learns the current version from PostgreSQL first, so a change
/// committed before its caller got a reply is seen by the very next evaluation on any
/// replica, whatever Redis holds: no invalidation race is possible. Old versions simply
/// expire. Redis failures are never the caller's problem: a failed read is a miss, a failed
/// write is skipped, and nothing is tried while the connection is known to be down or for a
/// few seconds after a failure.
/// <para>
/// In front of Redis, each replica keeps the snapshots it used last in memory
/// (<see cref="VersionedLocalCache{T}"/>, <c>Consent:LocalCacheEntries</c>, default 10,000),
/// under the same (patient, version) key and by the same argument never stale: a repeated
/// evaluation costs the PostgreSQL version lookup and no Redis round trip.
/// </para>
/// </summary>
public sealed partial class ConsentSnapshotCache(
    IConnectionMultiplexer redis,
    PatientPseudonymiser pseudonymiser,
    ConsentMetrics metrics,
    IConfiguration configuration,
    ILogger<ConsentSnapshotCache> logger) : IDisposable
{
    private static readonly KeyValuePair<string, object?> Absent = new("cause", "absent");
    private static readonly KeyValuePair<string, object?> Unavailable = new("cause", "redis_unavailable");
    private static readonly KeyValuePair<string, object?> FromMemory = new("tier", "memory");
    private static readonly KeyValuePair<string, object?> FromRedis = new("tier", "redis");

    private readonly VersionedLocalCache<ConsentSnapshot> _local = new(
        configuration.GetValue("Consent:LocalCacheEntries", 10_000), TimeSpan.FromMinutes(10));

    private readonly TimeSpan _ttl = TimeSpan.FromSeconds(configuration.GetValue("Consent:CacheTtlSeconds", 3600));

    // After a Redis failure, skip the cache for a short while, so an unresponsive Redis costs
    // one timeout per pause rather than one per call (Environment.TickCount64 milliseconds).
    private readonly long _pauseAfterFailureMs = configuration.GetValue("Consent:CachePauseAfterFailureMs", 5000);
    private long _skipUntil;

    private bool Usable => redis.IsConnected && Environment.TickCount64 >= Interlocked.Read(ref _skipUntil);

    public async Task<ConsentSnapshot?> GetAsync(string nhsNumber, long version)
    {
        if (_local.Get(nhsNumber, version) is { } local)
        {
            metrics.CacheHits.Add(1, FromMemory);
            return local;
        }

        if (!Usable)
        {
            metrics.CacheMisses.Add(1, Unavailable);
            return null;
        }

        try
        {
            var value = await redis.GetDatabase().StringGetAsync(Key(nhsNumber, version)).ConfigureAwait(false);
            if (value.IsNullOrEmpty)
            {
                metrics.CacheMisses.Add(1, Absent);
                return null;
            }

            var cached = JsonSerializer.Deserialize<CachedSnapshot>((byte[])value!);
            if (cached is null || cached.V != version)
            {
                metrics.CacheMisses.Add(1, Absent);
                return null;
            }

            metrics.CacheHits.Add(1, FromRedis);
            var snapshot = cached.ToSnapshot();
            _local.Set(nhsNumber, version, snapshot);
            return snapshot;
        }
        catch (JsonException)
        {
            metrics.CacheMisses.Add(1, Absent); // an unreadable entry (e.g. another format): rebuilt and overwritten
            return null;
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            Failed("read", e);
            metrics.CacheMisses.Add(1, Unavailable);
            return null;
        }
    }

    /// <summary>Stores a snapshot under its version, in memory and in Redis (without waiting for Redis: fire and forget).</summary>
    public async Task SetAsync(string nhsNumber, ConsentSnapshot snapshot)
    {
        if (snapshot.Version == 0)
        {
            return;
        }

        _local.Set(nhsNumber, snapshot.Version, snapshot);
        if (!Usable)
        {
            return;
        }

        try
        {
            var bytes = JsonSerializer.SerializeToUtf8Bytes(CachedSnapshot.From(snapshot));
            await redis.GetDatabase()
                .StringSetAsync(Key(nhsNumber, snapshot.Version), bytes, _ttl, flags: CommandFlags.FireAndForget)
                .ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            Failed("write", e);
        }
    }

    public void Dispose() => _local.Dispose();

    private void Failed(string operation, Exception e)
    {
        Interlocked.Exchange(ref _skipUntil, Environment.TickCount64 + _pauseAfterFailureMs);
        LogCacheFailure(logger, operation, e.GetType().Name);
    }

    private string Key(string nhsNumber, long version) =>
        $"lcr:consent:snapshot:{pseudonymiser.Pseudonym(nhsNumber)}:{version.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consent cache {Operation} failed ({Error}); using PostgreSQL")]
    private static partial void LogCacheFailure(ILogger logger, string operation, string error);

    /// <summary>
    /// The stored form: short names, codes and platform ids only. <c>S</c> (the seal's named
    /// professionals and teams) and <c>L</c> (access log under review) are absent from entries
    /// written before sealing existed, which were all of versions with neither.
    /// </summary>
    private sealed record CachedSnapshot(long V, bool O, List<CachedRestriction> R, CachedSeal? S = null, bool L = false)
    {
        public static CachedSnapshot From(ConsentSnapshot s) =>
            new(s.Version, s.OptedOut, s.Restrictions.Select(r => new CachedRestriction((int)r.Kind, r.Value, r.EndTime)).ToList(),
                s.Seal is { } seal ? new CachedSeal([.. seal.ProfessionalIds], [.. seal.TeamIds]) : null,
                s.AccessLogUnderReview);

        public ConsentSnapshot ToSnapshot() =>
            new(V, O, R.Select(r => new SnapshotRestriction((TargetKind)r.K, r.Val, r.End)).ToList(),
                S is { } seal ? new SnapshotSeal(seal.P ?? [], seal.T ?? []) : null,
                L);
    }

    private sealed record CachedSeal(List<string>? P, List<string>? T);

    private sealed record CachedRestriction(int K, string Val, DateTimeOffset? End);
}
