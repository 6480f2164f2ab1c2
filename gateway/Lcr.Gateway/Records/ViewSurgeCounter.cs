using Lcr.ServiceDefaults;
using StackExchange.Redis;

namespace Lcr.Gateway.Records;

/// <summary>
/// The distinct viewers of each patient's record within the surge window, in Redis: one sorted
/// set per patient, keyed by the patient's keyed pseudonym (never the NHS number),
/// <c>lcr:gateway:viewers:{pseudonym}</c>, member the professional's platform id, score the time
/// of their latest view (Unix milliseconds). Each view adds or refreshes its member, drops the
/// members older than the window, counts, and sets the key to expire with the window, in one
/// transaction. Every gateway replica shares the count. Shared by replicas; no patient data in it.
/// </summary>
public sealed class ViewSurgeCounter(IConnectionMultiplexer redis, PatientPseudonymiser pseudonyms)
{
    /// <summary>False while the connection is down: the caller skips the view (and counts that) instead of waiting.</summary>
    public bool Connected => redis.IsConnected;

    /// <summary>Records the view and returns how many distinct professionals viewed the record since <paramref name="windowStart"/>.</summary>
    /// <exception cref="RedisException">Redis failed.</exception>
    /// <exception cref="TimeoutException">Redis did not answer in time.</exception>
    public async Task<long> RecordAsync(string nhsNumber, string professionalId, DateTimeOffset at, DateTimeOffset windowStart, TimeSpan window)
    {
        var key = Key(nhsNumber);
        var transaction = redis.GetDatabase().CreateTransaction();
        _ = transaction.SortedSetAddAsync(key, professionalId, at.ToUnixTimeMilliseconds());
        _ = transaction.SortedSetRemoveRangeByScoreAsync(key, double.NegativeInfinity, windowStart.ToUnixTimeMilliseconds(), Exclude.Stop);
        var count = transaction.SortedSetLengthAsync(key);
        _ = transaction.KeyExpireAsync(key, window);
        await transaction.ExecuteAsync().ConfigureAwait(false);
        return await count.ConfigureAwait(false);
    }

    /// <summary>Starts the count again (after the record was sealed), so an IG officer's unseal is not undone by the views that caused the seal.</summary>
    public Task ResetAsync(string nhsNumber) => redis.GetDatabase().KeyDeleteAsync(Key(nhsNumber));

    /// <summary>The Redis key of a patient's viewers.</summary>
    public RedisKey Key(string nhsNumber) => "lcr:gateway:viewers:" + pseudonyms.Pseudonym(nhsNumber);
}
