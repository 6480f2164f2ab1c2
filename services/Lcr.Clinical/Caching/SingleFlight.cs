using System.Collections.Concurrent;

namespace Lcr.Clinical.Caching;

/// <summary>
/// Runs at most one computation per key at a time in this process: callers that arrive while
/// one is running wait for its result instead of starting their own. The computation runs
/// detached from any one caller's cancellation (a caller that gives up stops waiting; the
/// others still get the result).
/// </summary>
public sealed class SingleFlight<TKey, TValue>
    where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, Lazy<Task<TValue>>> _flights = new();

    /// <summary>The number of computations in flight (for tests and diagnostics).</summary>
    public int InFlight => _flights.Count;

    public Task<TValue> RunAsync(TKey key, Func<Task<TValue>> compute, CancellationToken cancellationToken)
    {
        var flight = _flights.GetOrAdd(key, k => new Lazy<Task<TValue>>(() => RunAndForget(k, compute)));
        return flight.Value.WaitAsync(cancellationToken);
    }

    private async Task<TValue> RunAndForget(TKey key, Func<Task<TValue>> compute)
    {
        try
        {
            // Yield so the Lazy is published before the work starts; the key is removed in
            // finally, so a failure is not remembered for later callers.
            await Task.Yield();
            return await compute();
        }
        finally
        {
            _flights.TryRemove(key, out _);
        }
    }
}
