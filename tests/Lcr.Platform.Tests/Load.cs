using System.Collections.Concurrent;
using System.Diagnostics;
using Grpc.Core;

namespace Lcr.Platform.Tests;

/// <summary>One call made under load: when it started and ended, how it ended, the audit event id an OK read carried.</summary>
public sealed record CallOutcome(long Sequence, DateTime Start, DateTime End, StatusCode Status, string? AuditEventId, string? Reason);

/// <summary>
/// Steady load from several workers, each calling in a loop (one call in flight per worker) and
/// recording every outcome. Runs until stopped; faults are injected while it runs, and the
/// outcomes are judged afterwards. Every call made with the run's tokens goes through it, so the
/// audit invariant can count them all.
/// </summary>
public sealed class Load : IAsyncDisposable
{
    private readonly ConcurrentQueue<CallOutcome> _outcomes = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _workers;
    private readonly ConcurrentQueue<(string What, DateTime When)> _marks = new();
    private long _sequence;

    /// <param name="call">One call; returns the audit event id of an OK read (or null). Given the call's ordinal.</param>
    public Load(int workers, Func<long, Task<string?>> call)
    {
        _workers = Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                var n = Interlocked.Increment(ref _sequence);
                var start = DateTime.UtcNow;
                CallOutcome outcome;
                try
                {
                    var id = await call(n);
                    outcome = new CallOutcome(n, start, DateTime.UtcNow, StatusCode.OK, id, null);
                }
                catch (RpcException e)
                {
                    outcome = new CallOutcome(n, start, DateTime.UtcNow, e.StatusCode, null,
                        e.GetRpcStatus()?.GetDetail<Google.Rpc.ErrorInfo>()?.Reason);
                    await Task.Delay(20); // a failing dependency answers fast; do not spin
                }

                _outcomes.Enqueue(outcome);
            }
        })).ToArray();
    }

    public IReadOnlyList<CallOutcome> Outcomes => _outcomes.OrderBy(o => o.Sequence).ToList();

    /// <summary>Notes a moment of the run (a fault injected, a service back), for <see cref="Describe"/>.</summary>
    public DateTime Mark(string what)
    {
        var now = DateTime.UtcNow;
        _marks.Enqueue((what, now));
        return now;
    }

    /// <summary>An outcome placed on the run's timeline: "DEADLINE_EXCEEDED after 5.0 s, started 1.2 s after consent killed".</summary>
    public string Describe(CallOutcome o)
    {
        var mark = _marks.Where(m => m.When <= o.Start).OrderBy(m => m.When).LastOrDefault();
        var where = mark.What is null ? "before any mark" : $"{(o.Start - mark.When).TotalSeconds:0.00} s after {mark.What}";
        return $"{o.Status} {o.Reason} after {(o.End - o.Start).TotalSeconds:0.00} s, started {where}";
    }

    /// <summary>"412 calls: OK 380, UNAVAILABLE 32; audit killed +0.0 s, audit restarting +4.1 s, recovered +6.3 s" (for the test output and docs/reliability.md).</summary>
    public string Summary()
    {
        var all = Outcomes;
        var counts = string.Join(", ", all.GroupBy(o => o.Status).OrderBy(g => g.Key).Select(g => $"{g.Key} {g.Count()}"));
        var marks = _marks.OrderBy(m => m.When).ToList();
        var origin = marks.Count > 1 ? marks[1].When : DateTime.UtcNow; // the first mark is the load becoming steady
        var timeline = string.Join(", ", marks.Select(m => $"{m.What} {Math.Round((m.When - origin).TotalSeconds, 1).ToString("+0.0;-0.0;0.0", System.Globalization.CultureInfo.InvariantCulture)} s"));
        var ok = all.Where(o => o.Status == StatusCode.OK).Select(o => (o.End - o.Start).TotalMilliseconds).Order().ToList();
        var median = ok.Count == 0 ? 0 : ok[ok.Count / 2];
        return $"{all.Count} calls: {counts}; OK median {median:0.0} ms; {timeline}";
    }

    /// <summary>Waits until at least <paramref name="count"/> more calls have ended than now.</summary>
    public Task MoreCallsAsync(int count) => UntilAsync(_ => true, count, TimeSpan.FromSeconds(60), "calls");

    /// <summary>Waits until <paramref name="count"/> calls that started after now have ended with <paramref name="status"/>.</summary>
    public Task CallsEndingAsync(StatusCode status, int count, TimeSpan within)
    {
        var since = DateTime.UtcNow;
        return UntilAsync(o => o.Start >= since && o.Status == status, count, within, $"calls ending {status}");
    }

    /// <summary>
    /// Waits until <paramref name="count"/> consecutive calls (by start) that started after now
    /// have all succeeded: the platform has recovered. Fails after <paramref name="within"/>.
    /// </summary>
    /// <returns>When the first call of that run started: outcomes from then on are judged.</returns>
    public async Task<DateTime> RecoveredAsync(int count, TimeSpan within)
    {
        var since = DateTime.UtcNow;
        var until = Stopwatch.StartNew();
        while (true)
        {
            var recent = _outcomes.Where(o => o.Start >= since).OrderBy(o => o.Start).ToList();
            var run = 0;
            var first = since;
            foreach (var o in recent)
            {
                if (o.Status != StatusCode.OK)
                {
                    run = 0;
                    continue;
                }

                first = run == 0 ? o.Start : first;
                if (++run >= count)
                {
                    Mark("recovered");
                    return first;
                }
            }

            if (until.Elapsed > within || _workers.Any(w => w.IsFaulted))
            {
                var tail = string.Join(", ", recent.TakeLast(10).Select(o => $"{o.Status} {o.Reason}"));
                throw new Xunit.Sdk.XunitException($"The platform did not recover within {within}: last outcomes {tail}");
            }

            await Task.Delay(100);
        }
    }

    private async Task UntilAsync(Func<CallOutcome, bool> match, int count, TimeSpan within, string what)
    {
        var start = _outcomes.Count(match);
        var until = Stopwatch.StartNew();
        while (_outcomes.Count(match) - start < count)
        {
            if (until.Elapsed > within || _workers.Any(w => w.IsFaulted))
            {
                throw new Xunit.Sdk.XunitException($"Fewer than {count} {what} within {within} ({_outcomes.Count} calls in all).");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Stops the workers (each finishes its call in flight) and returns every outcome.</summary>
    public async Task<IReadOnlyList<CallOutcome>> StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_workers);
        return Outcomes;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await StopAsync();
        }

        _stop.Dispose();
    }
}
