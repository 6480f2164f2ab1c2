using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;

namespace Lcr.ServiceDefaults;

/// <summary>
/// Remembers bearer credentials that passed full verification (signature, issuer, audience,
/// type), by their exact text, until they expire, so that a caller presenting the same
/// credential again costs a dictionary lookup instead of a signature check. The lifetime
/// (<c>exp</c>/<c>nbf</c> with the verifier's clock skew) is checked on every use, remembered
/// or not; any other text, a tampered copy included, is a different key and is verified in
/// full. Bounded: expired entries are swept when it fills, and if that is not enough it is
/// emptied (everything is then simply verified again).
/// </summary>
/// <typeparam name="T">What verification produced (immutable, or copied by the caller before use).</typeparam>
public sealed class VerifiedTokenMemo<T>(int capacity, TimeSpan skew)
    where T : class
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>How many credentials are remembered now.</summary>
    public int Count => _entries.Count;

    /// <summary>The remembered result for <paramref name="token"/> if it is within its lifetime at <paramref name="now"/>.</summary>
    public bool TryGet(string token, DateTimeOffset now, [NotNullWhen(true)] out T? value)
    {
        if (_entries.TryGetValue(token, out var entry))
        {
            if (entry.IsCurrent(now, skew))
            {
                value = entry.Value;
                return true;
            }

            _entries.TryRemove(token, out _);
        }

        value = null;
        return false;
    }

    /// <summary>Remembers a credential that has just passed full verification.</summary>
    public void Remember(string token, T value, DateTimeOffset expires, DateTimeOffset? notBefore, DateTimeOffset now)
    {
        if (capacity <= 0)
        {
            return;
        }

        if (_entries.Count >= capacity)
        {
            foreach (var (key, entry) in _entries)
            {
                if (!entry.IsCurrent(now, skew))
                {
                    _entries.TryRemove(key, out _);
                }
            }

            if (_entries.Count >= capacity)
            {
                _entries.Clear();
            }
        }

        _entries[token] = new Entry(value, expires, notBefore);
    }

    /// <summary>Forgets one credential (e.g. its signing key is no longer published).</summary>
    public void Forget(string token) => _entries.TryRemove(token, out _);

    private sealed record Entry(T Value, DateTimeOffset Expires, DateTimeOffset? NotBefore)
    {
        public bool IsCurrent(DateTimeOffset now, TimeSpan skew) =>
            now < Expires + skew && (NotBefore is not { } n || now + skew >= n);
    }
}
