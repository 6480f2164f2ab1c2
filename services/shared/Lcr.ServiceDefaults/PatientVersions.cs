using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Lcr.ServiceDefaults;

/// <summary>What a write to a patient changed: the part of their data a reader may have kept.</summary>
public enum PatientDataKind
{
    /// <summary>The consent service's state for the number (opt-out, blocks, withholdings, seal, review hold).</summary>
    Consent,

    /// <summary>The clinical record filed under the number (entries, retractions, document content).</summary>
    Record,

    /// <summary>Demographics of the number: the patient's details, date of death and every supersession it is part of.</summary>
    Demographics,
}

/// <summary>
/// One probe of a patient's version record: for each kind of data, an opaque generation and
/// whether a write is in flight. A reader may reuse data it fetched AFTER a probe that returned
/// the same epoch and generation, with no write pending (<see cref="Tag"/>); anything else is
/// read from the owning service.
/// </summary>
public sealed record PatientVersionProbe(string Epoch, long Consent, long Record, long Demographics,
    bool ConsentPending, bool RecordPending, bool DemographicsPending)
{
    /// <summary>The tag data of <paramref name="kind"/> fetched after this probe may be kept under; null while a write is pending.</summary>
    public VersionTag? Tag(PatientDataKind kind) => kind switch
    {
        PatientDataKind.Consent => ConsentPending ? null : new VersionTag(Epoch, Consent),
        PatientDataKind.Record => RecordPending ? null : new VersionTag(Epoch, Record),
        PatientDataKind.Demographics => DemographicsPending ? null : new VersionTag(Epoch, Demographics),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };
}

/// <summary>A generation of one kind of a patient's data under one epoch of the version store.</summary>
public readonly record struct VersionTag(string Epoch, long Generation);

/// <summary>Settings of the patient version store (<c>Lcr:PatientVersions:*</c>).</summary>
public sealed class PatientVersionOptions
{
    /// <summary>
    /// How long a write's pending mark holds readers off if the writer never publishes (it
    /// crashed, or lost Redis after committing). A writer must commit within half of it
    /// (<see cref="PatientWrite.EnsureCovered"/>), so the mark outlives every commit it covers.
    /// </summary>
    public TimeSpan PendingFor { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a version record lives after its last write or first probe (a lost record is harmless: the next probe makes a new generation).</summary>
    public TimeSpan RecordTtl { get; set; } = TimeSpan.FromDays(7);

    /// <summary>The longest a probe waits for Redis before the reader falls back to the services.</summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>After a failed probe, how long readers skip the store (one timeout per pause, not per read).</summary>
    public TimeSpan PauseAfterFailure { get; set; } = TimeSpan.FromSeconds(2);
}

/// <summary>
/// The per-patient version record that lets a reader (the gateway) keep a patient's consent
/// inputs, summary and demographics in memory and check them with one Redis round trip per
/// read. Redis hash <c>lcr:pv:{pseudonym}</c> (keyed pseudonym, never the NHS number) holds, per
/// kind of data (<c>c</c>onsent, <c>r</c>ecord, <c>d</c>emographics), a generation, the number of
/// writes in flight and when their marks lapse; <c>lcr:pv:epoch</c> names this Redis dataset
/// and <c>lcr:pv:clock</c> issues generations (never below Redis's clock in microseconds, so a
/// generation is never issued twice, even after a flush or a lost record).
/// <para>
/// The protocol. A writer marks the patient BEFORE it commits (<see cref="BeginWriteAsync"/>:
/// a new generation and a pending mark; if Redis cannot be reached the write is refused before
/// anything is written) and publishes AFTER it commits and before it replies
/// (<see cref="PatientWrite.CompleteAsync"/>: another new generation, the mark lifted). A reader
/// probes FIRST, then fetches, and keeps what it fetched under the probed tag, never under one
/// it did not probe; it reuses data only when a later probe returns the same epoch and
/// generation with nothing pending. So data kept under a tag is at least as new as every write
/// published before the probe, and any write that published since has moved the generation on:
/// a reader can never reuse data older than a write whose writer has its reply. A writer that
/// loses Redis after committing leaves its mark, which holds readers off (they go to the
/// services) until it lapses after <see cref="PatientVersionOptions.PendingFor"/>, by which time
/// its commit is over and visible to the services. docs/architecture.md ("The read path")
/// gives each failure case.
/// </para>
/// Without <c>ConnectionStrings:Redis</c> the store is off: writers mark nothing and readers
/// never reuse anything.
/// </summary>
public sealed partial class PatientVersionStore
{
    /// <summary>Spans of the store's operations (no patient identifier, not even the pseudonym).</summary>
    public static readonly ActivitySource Tracing = new(ServiceDefaultsExtensions.TelemetryPrefix + "PatientVersions");

    internal const string EpochKey = "lcr:pv:epoch";
    internal const string ClockKey = "lcr:pv:clock";
    internal const string KeyCheckKey = "lcr:pv:keycheck";

    // Shared by the scripts: Redis's clock now (ms) and the next generation (microseconds floor).
    private const string Prelude = """
        local t = redis.call('TIME')
        local nowMs = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local nowUs = tonumber(t[1]) * 1000000 + tonumber(t[2])
        local function nextgen()
          local g = redis.call('INCR', KEYS[2])
          if g < nowUs then
            g = nowUs
            redis.call('SET', KEYS[2], string.format('%.0f', g))
          end
          return string.format('%.0f', g)
        end
        """;

    // KEYS: epoch, clock, key check, patient. ARGV: candidate epoch, ttl seconds, this process's key check.
    // Returns epoch, then per kind c, r, d: generation and pending (1/0); or {'keycheck', 0|1}
    // when no writer has announced its pseudonym key (0) or announced another one (1).
    private static readonly string ProbeScript = Lua("""
        local kc = redis.call('GET', KEYS[3])
        if kc ~= ARGV[3] then
          if kc then return {'keycheck', 1} end
          return {'keycheck', 0}
        end
        local epoch = redis.call('GET', KEYS[1])
        if not epoch then
          redis.call('SET', KEYS[1], ARGV[1])
          epoch = ARGV[1]
        end
        local v = redis.call('HMGET', KEYS[4], 'c', 'r', 'd', 'cn', 'rn', 'dn', 'cu', 'ru', 'du')
        local kinds = {'c', 'r', 'd'}
        local out = {epoch}
        local created = false
        for i = 1, 3 do
          local g = v[i]
          if not g then
            g = nextgen()
            redis.call('HSET', KEYS[4], kinds[i], g)
            created = true
          end
          local pending = 0
          if v[3 + i] and tonumber(v[3 + i]) > 0 and v[6 + i] and tonumber(v[6 + i]) > nowMs then
            pending = 1
          end
          out[#out + 1] = g
          out[#out + 1] = pending
        end
        if created then
          redis.call('EXPIRE', KEYS[4], ARGV[2])
        end
        return out
        """);

    // KEYS: epoch, clock, key check, patient keys... ARGV: kind letter, pending ms, ttl seconds, key check.
    // Returns 0 (nothing marked) when another pseudonym key was announced.
    private static readonly string MarkScript = Lua("""
        local kc = redis.call('GET', KEYS[3])
        if not kc then
          redis.call('SET', KEYS[3], ARGV[4])
        elseif kc ~= ARGV[4] then
          return 0
        end
        for i = 4, #KEYS do
          redis.call('HSET', KEYS[i], ARGV[1], nextgen())
          redis.call('HINCRBY', KEYS[i], ARGV[1] .. 'n', 1)
          local u = nowMs + tonumber(ARGV[2])
          local cur = redis.call('HGET', KEYS[i], ARGV[1] .. 'u')
          if not cur or tonumber(cur) < u then
            redis.call('HSET', KEYS[i], ARGV[1] .. 'u', string.format('%.0f', u))
          end
          redis.call('EXPIRE', KEYS[i], ARGV[3])
        end
        return 1
        """);

    // KEYS: epoch, clock, key check, patient keys... ARGV: kind letter, ttl seconds.
    private static readonly string PublishScript = Lua("""
        for i = 4, #KEYS do
          redis.call('HSET', KEYS[i], ARGV[1], nextgen())
          local n = redis.call('HINCRBY', KEYS[i], ARGV[1] .. 'n', -1)
          if n <= 0 then
            redis.call('HDEL', KEYS[i], ARGV[1] .. 'n', ARGV[1] .. 'u')
          end
          redis.call('EXPIRE', KEYS[i], ARGV[2])
        end
        return 1
        """);

    private readonly IConnectionMultiplexer? _redis;
    private readonly PatientPseudonymiser _pseudonyms;
    private readonly PatientVersionOptions _options;
    private readonly ILogger _logger;
    private readonly string _keyCheck;
    private long _skipUntil;
    private long _lastMismatchLog = long.MinValue / 2;

    public PatientVersionStore(IConnectionMultiplexer? redis, PatientPseudonymiser pseudonyms, PatientVersionOptions options, ILogger<PatientVersionStore> logger)
    {
        _redis = redis;
        _pseudonyms = pseudonyms;
        _options = options;
        _logger = logger;
        // A fingerprint of the pseudonym key (not the key): every writer and reader of the store
        // must share the key, or a reader would probe records no writer ever moves.
        _keyCheck = pseudonyms.Pseudonym("lcr:pv:keycheck");
    }

    /// <summary>False without Redis configured: nothing is marked, nothing may be reused.</summary>
    public bool Enabled => _redis is not null;

    /// <summary>
    /// Reader side: the patient's version record, in one round trip (a record that does not
    /// exist is created with fresh generations). Null when the store is off, unreachable, slow
    /// or paused after a failure: the reader then reuses nothing and asks the services.
    /// </summary>
    public async Task<PatientVersionProbe?> ProbeAsync(string nhsNumber, CancellationToken cancellationToken = default)
    {
        if (_redis is null || Environment.TickCount64 < Interlocked.Read(ref _skipUntil) || !_redis.IsConnected)
        {
            return null;
        }

        using var span = Tracing.StartActivity("PatientVersions.Probe", ActivityKind.Client);
        span?.SetTag("db.system", "redis");
        try
        {
            var result = (RedisResult[]?)await _redis.GetDatabase().ScriptEvaluateAsync(ProbeScript,
                    [EpochKey, ClockKey, KeyCheckKey, Key(nhsNumber)],
                    [NewEpoch(), (long)_options.RecordTtl.TotalSeconds, _keyCheck])
                .WaitAsync(_options.ProbeTimeout, cancellationToken);
            if (result is { Length: 2 } && (long)result[1] == 1)
            {
                LogKeyMismatch();
            }

            if (result is not { Length: 7 })
            {
                span?.SetTag("lcr.version_probe.outcome", "no_key");
                return null; // no writer has announced the shared key yet, or another key: reuse nothing
            }

            return new PatientVersionProbe((string)result[0]!,
                Generation(result[1]), Generation(result[3]), Generation(result[5]),
                (long)result[2] != 0, (long)result[4] != 0, (long)result[6] != 0);
        }
        catch (Exception e) when (e is RedisException or TimeoutException or FormatException or InvalidCastException)
        {
            Interlocked.Exchange(ref _skipUntil, Environment.TickCount64 + (long)_options.PauseAfterFailure.TotalMilliseconds);
            span?.SetStatus(ActivityStatusCode.Error, e.GetType().Name);
            LogProbeFailed(_logger, e.GetType().Name);
            return null;
        }
    }

    /// <summary>
    /// Writer side, BEFORE the commit: marks <paramref name="kind"/> of every number in
    /// <paramref name="nhsNumbers"/> as being written (new generation, pending). Throws
    /// <see cref="DependencyUnavailableException"/> (VERSION_STORE_UNAVAILABLE) when Redis
    /// cannot be reached: the caller must then write nothing. Complete the returned write after
    /// the commit, before replying.
    /// </summary>
    public async Task<PatientWrite> BeginWriteAsync(PatientDataKind kind, IEnumerable<string> nhsNumbers, CancellationToken cancellationToken = default)
    {
        var numbers = nhsNumbers.Where(n => !string.IsNullOrEmpty(n)).Distinct(StringComparer.Ordinal).ToArray();
        if (_redis is null || numbers.Length == 0)
        {
            return PatientWrite.None;
        }

        var keys = Keys(numbers);
        using var span = Tracing.StartActivity("PatientVersions.Mark", ActivityKind.Client);
        span?.SetTag("db.system", "redis");
        span?.SetTag("lcr.version_record.patients", numbers.Length);
        RedisResult marked;
        try
        {
            marked = await _redis.GetDatabase().ScriptEvaluateAsync(MarkScript, keys,
                    [Letter(kind), (long)_options.PendingFor.TotalMilliseconds, (long)_options.RecordTtl.TotalSeconds, _keyCheck])
                .WaitAsync(TimeSpan.FromSeconds(2), cancellationToken);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            span?.SetStatus(ActivityStatusCode.Error, e.GetType().Name);
            LogMarkFailed(_logger, kind.ToString(), e.GetType().Name);
            throw new DependencyUnavailableException("VERSION_STORE_UNAVAILABLE",
                "The change could not be announced to the platform's readers, so nothing was written; retry shortly.", e);
        }

        if ((long)marked == 0)
        {
            LogKeyMismatch();
            throw new DependencyUnavailableException("VERSION_STORE_UNAVAILABLE",
                "The change could not be announced to the platform's readers, so nothing was written; the platform team has been alerted.");
        }

        return new PatientWrite(this, kind, keys, Stopwatch.GetTimestamp());
    }

    /// <summary>Writer side: <see cref="BeginWriteAsync"/> for one number.</summary>
    public Task<PatientWrite> BeginWriteAsync(PatientDataKind kind, string nhsNumber, CancellationToken cancellationToken = default) =>
        BeginWriteAsync(kind, [nhsNumber], cancellationToken);

    internal TimeSpan CommitWindow => _options.PendingFor / 2;

    /// <summary>
    /// Writer side: announces this process's pseudonym key fingerprint if none is (after a
    /// flush, on start); false when another key was announced (then every write is refused and
    /// an error is logged). Readers reuse nothing until a writer has announced.
    /// </summary>
    public async Task<bool> AnnounceAsync(CancellationToken cancellationToken = default)
    {
        if (_redis is null)
        {
            return true;
        }

        var db = _redis.GetDatabase();
        await db.StringSetAsync(KeyCheckKey, _keyCheck, when: When.NotExists).WaitAsync(TimeSpan.FromSeconds(2), cancellationToken);
        var current = (string?)await db.StringGetAsync(KeyCheckKey).WaitAsync(TimeSpan.FromSeconds(2), cancellationToken);
        if (current is not null && current != _keyCheck)
        {
            LogKeyMismatch();
            return false;
        }

        return true;
    }

    private void LogKeyMismatch()
    {
        var now = Environment.TickCount64;
        if (now - Interlocked.Read(ref _lastMismatchLog) > 60_000)
        {
            Interlocked.Exchange(ref _lastMismatchLog, now);
            LogKeyCheckMismatch(_logger);
        }
    }

    internal async Task PublishAsync(PatientDataKind kind, RedisKey[] keys)
    {
        using var span = Tracing.StartActivity("PatientVersions.Publish", ActivityKind.Client);
        span?.SetTag("db.system", "redis");
        try
        {
            await _redis!.GetDatabase().ScriptEvaluateAsync(PublishScript, keys, [Letter(kind), (long)_options.RecordTtl.TotalSeconds])
                .WaitAsync(TimeSpan.FromSeconds(2));
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // The pending mark stays until it lapses: readers go to the services meanwhile, which
            // see the commit. Slower, never stale.
            span?.SetStatus(ActivityStatusCode.Error, e.GetType().Name);
            LogPublishFailed(_logger, kind.ToString(), e.GetType().Name);
        }
    }

    private RedisKey[] Keys(string[] numbers)
    {
        var keys = new RedisKey[numbers.Length + 3];
        keys[0] = EpochKey;
        keys[1] = ClockKey;
        keys[2] = KeyCheckKey;
        for (var i = 0; i < numbers.Length; i++)
        {
            keys[i + 3] = Key(numbers[i]);
        }

        return keys;
    }

    /// <summary>The version record's key for a number (keyed pseudonym).</summary>
    public string Key(string nhsNumber) => "lcr:pv:" + _pseudonyms.Pseudonym(nhsNumber);

    private static string Letter(PatientDataKind kind) => kind switch
    {
        PatientDataKind.Consent => "c",
        PatientDataKind.Record => "r",
        PatientDataKind.Demographics => "d",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private static long Generation(RedisResult r) => long.Parse((string)r!, NumberStyles.None, CultureInfo.InvariantCulture);

    private static string NewEpoch() => Convert.ToHexString(RandomNumberGenerator.GetBytes(12));

    private static string Lua(string body) => Prelude + "\n" + body;

    [LoggerMessage(Level = LogLevel.Error, Message = "The patient version store holds another pseudonym key's fingerprint: Lcr:PseudonymKey differs between the platform's processes; writes are refused and reads reuse nothing until it is fixed")]
    private static partial void LogKeyCheckMismatch(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Patient version probe failed ({Failure}); reads go to the services for a while")]
    private static partial void LogProbeFailed(ILogger logger, string failure);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A {Kind} write could not be marked in the version store ({Failure}); it was refused")]
    private static partial void LogMarkFailed(ILogger logger, string kind, string failure);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A {Kind} write was committed but could not be published ({Failure}); its mark holds readers off until it lapses")]
    private static partial void LogPublishFailed(ILogger logger, string kind, string failure);
}

/// <summary>
/// A write announced to the version store (<see cref="PatientVersionStore.BeginWriteAsync"/>).
/// After the commit and before the reply, <see cref="CompleteAsync"/>; also when the write
/// failed or was rolled back (it lifts the mark; the data did not change, so a new generation is harmless).
/// </summary>
public sealed class PatientWrite
{
    internal static readonly PatientWrite None = new(null, PatientDataKind.Consent, [], 0);

    private readonly PatientVersionStore? _store;
    private readonly PatientDataKind _kind;
    private readonly RedisKey[] _keys;
    private readonly long _started;
    private int _completed;

    internal PatientWrite(PatientVersionStore? store, PatientDataKind kind, RedisKey[] keys, long started)
    {
        _store = store;
        _kind = kind;
        _keys = keys;
        _started = started;
    }

    /// <summary>
    /// Call just before the commit: throws <see cref="DependencyUnavailableException"/> when the
    /// write has taken more than half its mark's life, so a commit can never land after the
    /// mark has lapsed (the caller rolls back; nothing is written).
    /// </summary>
    public void EnsureCovered()
    {
        if (_store is not null && Stopwatch.GetElapsedTime(_started) > _store.CommitWindow)
        {
            throw new DependencyUnavailableException("WRITE_TOO_SLOW",
                "The change took too long to commit safely, so nothing was written; retry shortly.");
        }
    }

    /// <summary>Publishes the write (new generation, mark lifted). Never throws; idempotent.</summary>
    public Task CompleteAsync() =>
        _store is null || Interlocked.Exchange(ref _completed, 1) == 1 ? Task.CompletedTask : _store.PublishAsync(_kind, _keys);
}
