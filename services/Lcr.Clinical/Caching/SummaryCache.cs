using Lcr.ServiceDefaults;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Lcr.Clinical.Caching;

public sealed class SummaryCacheOptions
{
    /// <summary>How long an unread summary stays in Redis (cold records leave memory).</summary>
    public TimeSpan TimeToLive { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Summaries each replica also keeps in its own memory, keyed by record version (never
    /// stale, see <c>SummaryService</c>); unread ones leave after <see cref="TimeToLive"/>. 0 turns it off.
    /// </summary>
    public int LocalEntries { get; set; } = 5_000;
}

/// <summary>What the cache held for a patient, or why it could not say.</summary>
public readonly record struct CachedSummary(CacheLookup Lookup, long Version, byte[]? Data);

public enum CacheLookup
{
    Found,
    Absent,
    Unavailable,
}

/// <summary>
/// The Redis side of the record-summary cache: one hash per patient (<c>v</c> = record
/// version, <c>d</c> = the serialized unfiltered <c>RecordSummary</c>), keyed by the patient's
/// keyed pseudonym, never the NHS number. Every call is async and never throws: Redis being
/// unreachable is reported as <see cref="CacheLookup.Unavailable"/> or ignored, and the
/// caller reads PostgreSQL.
/// <para>
/// Writes are conditional (a Lua script): a summary is stored only if its record version is
/// not older than the one cached and not older than the invalidation floor a contribution
/// left, so a reader that computed a summary before a commit cannot put it back after the
/// contribution's invalidation.
/// </para>
/// </summary>
public sealed partial class SummaryCache(
    IConnectionMultiplexer redis,
    PatientPseudonymiser pseudonyms,
    ClinicalMetrics metrics,
    IOptions<SummaryCacheOptions> options,
    ILogger<SummaryCache> logger)
{
    // KEYS[1] summary hash, KEYS[2] floor; ARGV[1] version, ARGV[2] payload, ARGV[3] ttl ms.
    private const string StoreScript = """
        local floor = tonumber(redis.call('GET', KEYS[2]) or '0')
        local v = tonumber(ARGV[1])
        if v < floor then return 0 end
        local cur = tonumber(redis.call('HGET', KEYS[1], 'v') or '-1')
        if cur > v then return 0 end
        redis.call('HSET', KEYS[1], 'v', ARGV[1], 'd', ARGV[2])
        redis.call('PEXPIRE', KEYS[1], ARGV[3])
        return 1
        """;

    // KEYS[1] summary hash, KEYS[2] floor; ARGV[1] committed record version, ARGV[2] ttl ms.
    private const string InvalidateScript = """
        local floor = tonumber(redis.call('GET', KEYS[2]) or '0')
        if tonumber(ARGV[1]) > floor then redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2]) end
        redis.call('DEL', KEYS[1])
        return 1
        """;

    private static readonly RedisValue[] Fields = ["v", "d"];
    private int _degraded;

    /// <summary>The summary key of a patient (a Redis Cluster hash tag keeps both keys of a patient on one shard).</summary>
    public string SummaryKey(string nhsNumber) => $"lcr:clinical:{{{pseudonyms.Pseudonym(nhsNumber)}}}:summary";

    public string FloorKey(string nhsNumber) => $"lcr:clinical:{{{pseudonyms.Pseudonym(nhsNumber)}}}:floor";

    public async Task<CachedSummary> GetAsync(string nhsNumber)
    {
        if (!redis.IsConnected)
        {
            return Unavailable("get", null);
        }

        try
        {
            var values = await redis.GetDatabase().HashGetAsync(SummaryKey(nhsNumber), Fields);
            Healthy();
            return values[0].IsNull || values[1].IsNull || !values[0].TryParse(out long version)
                ? new CachedSummary(CacheLookup.Absent, 0, null)
                : new CachedSummary(CacheLookup.Found, version, values[1]);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            return Unavailable("get", e);
        }
    }

    public async Task StoreAsync(string nhsNumber, long recordVersion, byte[] data)
    {
        if (!redis.IsConnected)
        {
            Unavailable("store", null);
            return;
        }

        try
        {
            await redis.GetDatabase().ScriptEvaluateAsync(StoreScript,
                [SummaryKey(nhsNumber), FloorKey(nhsNumber)],
                [recordVersion, data, (long)options.Value.TimeToLive.TotalMilliseconds]);
            Healthy();
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            Unavailable("store", e);
        }
    }

    /// <summary>
    /// Drops each patient's cached summary and raises its floor to the committed record
    /// version. Called after the transaction commits and before the reply is sent.
    /// </summary>
    public async Task InvalidateAsync(IReadOnlyCollection<(string NhsNumber, long RecordVersion)> patients)
    {
        if (patients.Count == 0)
        {
            return;
        }

        metrics.Invalidated(patients.Count);
        if (!redis.IsConnected)
        {
            // Not lost: every read compares the cached record version with PostgreSQL's, so a
            // summary cached before this commit is never served again.
            Unavailable("invalidate", null);
            return;
        }

        try
        {
            var db = redis.GetDatabase();
            var ttl = (long)options.Value.TimeToLive.TotalMilliseconds;
            await Task.WhenAll(patients.Select(p => db.ScriptEvaluateAsync(InvalidateScript,
                [SummaryKey(p.NhsNumber), FloorKey(p.NhsNumber)], [p.RecordVersion, ttl])));
            Healthy();
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            Unavailable("invalidate", e);
        }
    }

    private CachedSummary Unavailable(string operation, Exception? e)
    {
        metrics.Error(operation);
        if (Interlocked.Exchange(ref _degraded, 1) == 0)
        {
            LogDegraded(logger, operation, e?.GetType().Name ?? "NotConnected");
        }

        return new CachedSummary(CacheLookup.Unavailable, 0, null);
    }

    private void Healthy()
    {
        if (Interlocked.Exchange(ref _degraded, 0) == 1)
        {
            LogRecovered(logger);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Summary cache unavailable ({Operation}: {Failure}); serving record summaries from PostgreSQL until Redis answers again")]
    private static partial void LogDegraded(ILogger logger, string operation, string failure);

    [LoggerMessage(Level = LogLevel.Information, Message = "Summary cache available again")]
    private static partial void LogRecovered(ILogger logger);
}
