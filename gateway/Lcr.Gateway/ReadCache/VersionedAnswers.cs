using Google.Protobuf;
using Lcr.Gateway.Telemetry;
using Lcr.ServiceDefaults;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace Lcr.Gateway.ReadCache;

/// <summary>
/// The gateway's memory of internal answers about one patient, each kept under the version tag
/// (<see cref="VersionTag"/>) of the patient's data it came from, as probed from the patient
/// version record (<see cref="PatientVersionStore"/>) BEFORE the answer was fetched. An answer
/// is reused only when this read's probe returns the very same tag for its kind with no write
/// pending, and it is younger than <see cref="ReadCacheOptions.MaxAge"/>; anything else is asked
/// of the service (and kept under this read's probe). Keys are the internal request itself
/// (its protobuf bytes), so an answer is reused only for exactly the same question (viewer,
/// role, categories, exclusions, page). Values are cloned on the way out: a caller may change
/// what it is given.
/// </summary>
public sealed class VersionedAnswers : IDisposable
{
    private readonly MemoryCache? _cache;
    private readonly ReadCacheOptions _options;
    private readonly GatewayMetrics _metrics;
    private readonly TimeProvider _clock;

    public VersionedAnswers(IOptions<ReadCacheOptions> options, GatewayMetrics metrics, TimeProvider clock)
    {
        _options = options.Value;
        _metrics = metrics;
        _clock = clock;
        if (_options.Enabled && _options.MaxEntries > 0 && _options.MaxAge > TimeSpan.Zero)
        {
            _cache = new MemoryCache(new MemoryCacheOptions { SizeLimit = _options.MaxEntries, CompactionPercentage = 0.25 });
        }
    }

    /// <summary>True when answers may be kept at all (then a probe is worth its round trip).</summary>
    public bool Enabled => _cache is not null;

    /// <summary>
    /// The kept answer to <paramref name="request"/> about <paramref name="nhsNumber"/> (a copy)
    /// when <paramref name="probe"/> shows its kind unchanged since it was fetched; otherwise the
    /// service's, fetched now and kept under the probe's tag for its kind (nothing is kept without
    /// a probe or while a write of that kind is pending). One line at a call site; the request is
    /// serialised once for its key, hit or miss.
    /// </summary>
    public async Task<TResponse> GetOrFetchAsync<TResponse>(PatientDataKind kind, string nhsNumber, IMessage request, PatientVersionProbe? probe,
        Func<Task<TResponse>> fetch)
        where TResponse : class, IDeepCloneable<TResponse>
    {
        if (_cache is null || probe?.Tag(kind) is not { } tag)
        {
            return await fetch();
        }

        var key = new Key(kind, nhsNumber, typeof(TResponse), request.ToByteString());
        if (_cache.TryGetValue(key, out Kept? kept) && kept is not null && kept.Tag == tag &&
            _clock.GetUtcNow() - kept.Stored < _options.MaxAge)
        {
            _metrics.ReadCache.Add(1, new KeyValuePair<string, object?>("kind", Name(kind)), new KeyValuePair<string, object?>("outcome", "hit"));
            return ((TResponse)kept.Value).Clone();
        }

        _metrics.ReadCache.Add(1, new KeyValuePair<string, object?>("kind", Name(kind)), new KeyValuePair<string, object?>("outcome", "miss"));
        var fetched = await fetch();
        _cache.Set(key, new Kept(tag, fetched.Clone(), _clock.GetUtcNow()), new MemoryCacheEntryOptions
        {
            Size = 1, AbsoluteExpirationRelativeToNow = _options.MaxAge,
        });
        return fetched;
    }

    public void Dispose() => _cache?.Dispose();

    private static string Name(PatientDataKind kind) => kind switch
    {
        PatientDataKind.Consent => "consent",
        PatientDataKind.Record => "record",
        _ => "demographics",
    };

    private sealed record Kept(VersionTag Tag, object Value, DateTimeOffset Stored);

    private readonly record struct Key(PatientDataKind Kind, string NhsNumber, Type Response, ByteString Request);
}
