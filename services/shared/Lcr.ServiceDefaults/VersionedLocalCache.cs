using Microsoft.Extensions.Caching.Memory;

namespace Lcr.ServiceDefaults;

/// <summary>
/// An in-process cache, in front of Redis, for values that never change once computed for a
/// (patient, version) pair: a consent snapshot at a consent version, a record summary at a
/// record version. Every reader learns the patient's current version from PostgreSQL before it
/// looks here, so an entry cannot be stale: a change makes a new version, which is a different
/// key, on every replica at once; nothing needs invalidating and no message can be missed.
/// Bounded by entry count (<paramref name="capacity"/>; 0 turns it off); an entry nobody reads
/// for <paramref name="idle"/> leaves. Values are shared between concurrent callers: they must
/// not be modified after <see cref="Set"/>.
/// </summary>
public sealed class VersionedLocalCache<T>(int capacity, TimeSpan idle) : IDisposable
    where T : class
{
    private readonly MemoryCache? _cache = capacity > 0
        ? new MemoryCache(new MemoryCacheOptions { SizeLimit = capacity, CompactionPercentage = 0.25 })
        : null;

    private readonly MemoryCacheEntryOptions _entry = new() { Size = 1, SlidingExpiration = idle };

    /// <summary>The value stored for this patient at exactly this version, or null.</summary>
    public T? Get(string nhsNumber, long version) =>
        _cache is not null && _cache.TryGetValue(new Key(nhsNumber, version), out T? value) ? value : null;

    /// <summary>Stores the value computed (or read from Redis) for this patient at this version.</summary>
    public void Set(string nhsNumber, long version, T value) => _cache?.Set(new Key(nhsNumber, version), value, _entry);

    public void Dispose() => _cache?.Dispose();

    private readonly record struct Key(string NhsNumber, long Version);
}
