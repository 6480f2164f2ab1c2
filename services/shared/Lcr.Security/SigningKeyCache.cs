using Lcr.ServiceDefaults;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Lcr.Security;

/// <summary>
/// Caches the published signing keys for the cache age the source gives (capped). A token
/// naming a key id not in the cache triggers one refresh, at most once per
/// <see cref="TokenVerificationOptions.UnknownKeyRefreshInterval"/>; concurrent refreshes are
/// coalesced. When the source is down, the last key set keeps being used; with no key set at
/// all, verification fails with UNAVAILABLE (the caller may retry), never with a false refusal.
/// </summary>
public sealed partial class SigningKeyCache(
    ISigningKeySource source,
    IOptions<TokenVerificationOptions> options,
    TimeProvider clock,
    ILogger<SigningKeyCache> logger)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private Snapshot? _snapshot;
    private long _lastFetchAttemptTicks = DateTimeOffset.MinValue.UtcTicks;

    private DateTimeOffset LastFetchAttempt => new(Interlocked.Read(ref _lastFetchAttemptTicks), TimeSpan.Zero);
    private long _fetches;

    /// <summary>How many times the source has been asked (for tests and metrics).</summary>
    public long FetchCount => Interlocked.Read(ref _fetches);

    /// <summary>The key with this id if it is published now, else null (after at most one rate-limited refresh).</summary>
    public async ValueTask<SecurityKey?> FindAsync(string kid, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var snapshot = Volatile.Read(ref _snapshot);
        if (snapshot is null || now >= snapshot.ExpiresAt)
        {
            snapshot = await RefreshAsync(snapshot, unknownKid: false, cancellationToken);
        }

        if (snapshot?.Find(kid, now) is { } key)
        {
            return key;
        }

        // Unknown key id: maybe a key rotated since we fetched. Refresh, rate-limited.
        if (now - LastFetchAttempt < options.Value.UnknownKeyRefreshInterval)
        {
            return null;
        }

        snapshot = await RefreshAsync(snapshot, unknownKid: true, cancellationToken);
        return snapshot?.Find(kid, clock.GetUtcNow());
    }

    /// <summary>Drops the cached keys and the refresh rate limit (e.g. right after a local key rotation).</summary>
    public void Invalidate()
    {
        Volatile.Write(ref _snapshot, null);
        Interlocked.Exchange(ref _lastFetchAttemptTicks, DateTimeOffset.MinValue.UtcTicks);
    }

    private async Task<Snapshot?> RefreshAsync(Snapshot? seen, bool unknownKid, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            // Someone else refreshed while we waited: use theirs.
            var current = Volatile.Read(ref _snapshot);
            if (!ReferenceEquals(current, seen) && current is not null)
            {
                return current;
            }

            var now = clock.GetUtcNow();
            if (unknownKid && now - LastFetchAttempt < options.Value.UnknownKeyRefreshInterval)
            {
                return current;
            }

            Interlocked.Exchange(ref _lastFetchAttemptTicks, now.UtcTicks);
            Interlocked.Increment(ref _fetches);
            try
            {
                var set = await source.FetchAsync(cancellationToken);
                var fresh = Snapshot.From(set, now, options.Value.MaxKeyCacheAge, logger);
                Volatile.Write(ref _snapshot, fresh);
                return fresh;
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                if (current is not null && !unknownKid)
                {
                    // Keep verifying with the keys we have; try the source again after the refresh interval.
                    LogStaleKeys(logger, e.GetType().Name);
                    var extended = current with { ExpiresAt = now + options.Value.UnknownKeyRefreshInterval };
                    Volatile.Write(ref _snapshot, extended);
                    return extended;
                }

                LogFetchFailed(logger, e.GetType().Name);
                throw e as DependencyUnavailableException ?? new DependencyUnavailableException("SIGNING_KEYS_UNAVAILABLE",
                    "The platform's signing keys could not be fetched; retry later.", e);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private sealed record Snapshot(IReadOnlyDictionary<string, (SecurityKey Key, DateTimeOffset? NotAfter)> Keys, DateTimeOffset ExpiresAt)
    {
        public SecurityKey? Find(string kid, DateTimeOffset now) =>
            Keys.TryGetValue(kid, out var k) && (k.NotAfter is null || now < k.NotAfter) ? k.Key : null;

        public static Snapshot From(SigningKeySet set, DateTimeOffset now, TimeSpan maxAge, ILogger logger)
        {
            var keys = new Dictionary<string, (SecurityKey, DateTimeOffset?)>(StringComparer.Ordinal);
            foreach (var k in set.Keys)
            {
                var ecdsa = SigningKeyMaterial.PublicKey(k.X, k.Y);
                if (ecdsa is null || string.IsNullOrEmpty(k.Kid))
                {
                    LogUnusableKey(logger);
                    continue;
                }

                keys[k.Kid] = (new ECDsaSecurityKey(ecdsa) { KeyId = k.Kid }, k.NotAfter);
            }

            var age = set.CacheMaxAge <= TimeSpan.Zero || set.CacheMaxAge > maxAge ? maxAge : set.CacheMaxAge;
            return new Snapshot(keys, now + age);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Signing key refresh failed ({ErrorType}); verifying with the cached keys")]
    private static partial void LogStaleKeys(ILogger logger, string errorType);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Signing keys could not be fetched ({ErrorType})")]
    private static partial void LogFetchFailed(ILogger logger, string errorType);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A published signing key was not a usable P-256 key and was skipped")]
    private static partial void LogUnusableKey(ILogger logger);
}
