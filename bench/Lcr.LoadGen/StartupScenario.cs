using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Grpc.Core;
using HdrHistogram;

namespace Lcr.LoadGen;

/// <summary>One window of the startup scenario (by scheduled start of the call, from the first call).</summary>
internal sealed record StartupWindow(int FromSecond, int ToSecond, long Requests, long Errors, Dictionary<string, long> ErrorsByStatus, double P50Ms, double P99Ms, double MaxMs)
{
    public double P90Ms { get; init; }

    public double P999Ms { get; init; }
}

/// <summary>
/// The first seconds after a fresh start (issue 22): a strictly open loop at a fixed rate (each
/// call starts at its scheduled time whether or not earlier ones have answered, so a slow
/// platform sees the load pile up as a real city's clinics would), latency measured from the
/// scheduled start, errors by status, p50/p99 per window and overall. Run before anything else
/// warms the platform.
/// </summary>
internal static class StartupScenario
{
    public static async Task<(ScenarioResult Overall, List<StartupWindow> Windows)> RunAsync(
        CallInvoker[] invokers, double rate, TimeSpan duration, TimeSpan window, Func<CallInvoker, long, Task> call, ProcessCpu? cpu = null)
    {
        var cpuBefore = cpu?.Snapshot();
        var count = (long)Math.Round(rate * duration.TotalSeconds);
        var outcomes = new ConcurrentBag<(double ScheduledS, long LatencyUs, string? Failure)>();
        var calls = new List<Task>((int)count);
        var start = Stopwatch.GetTimestamp();
        for (long n = 0; n < count; n++)
        {
            var scheduled = start + (long)(n * Stopwatch.Frequency / rate);
            var wait = scheduled - Stopwatch.GetTimestamp();
            if (wait > 0)
            {
                await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency));
            }

            var invoker = invokers[n % invokers.Length];
            var number = n;
            calls.Add(Task.Run(async () =>
            {
                string? failure = null;
                try
                {
                    await call(invoker, number);
                }
                catch (RpcException e)
                {
                    failure = e.StatusCode.ToString();
                }
                catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException)
                {
                    failure = e.GetType().Name;
                }

                var end = Stopwatch.GetTimestamp();
                outcomes.Add(((double)(scheduled - start) / Stopwatch.Frequency, Math.Max(1, (end - scheduled) * 1_000_000 / Stopwatch.Frequency), failure));
            }));
        }

        await Task.WhenAll(calls);
        var cpuAfter = cpu?.Snapshot();
        var all = outcomes.ToArray();
        var windows = new List<StartupWindow>();
        for (var from = 0; from < duration.TotalSeconds; from += (int)window.TotalSeconds)
        {
            var to = Math.Min(from + (int)window.TotalSeconds, (int)duration.TotalSeconds);
            windows.Add(Window(from, to, all.Where(o => o.ScheduledS >= from && o.ScheduledS < to)));
        }

        var overall = Window(0, (int)duration.TotalSeconds, all);
        var result = new ScenarioResult("startup",
            $"GetPatientRecord on a freshly started platform (no platform warm-up), open loop at {rate:F0}/s for {duration.TotalSeconds:F0} s, latency from scheduled start",
            rate, overall.Requests, overall.Errors, overall.ErrorsByStatus, duration.TotalSeconds, Math.Round(overall.Requests / duration.TotalSeconds, 1),
            overall.P50Ms, overall.P90Ms, overall.P99Ms, overall.P999Ms, overall.MaxMs)
        {
            LoadAverage = ProcessCpu.LoadAverage(),
            CpuMsPerRequest = CpuPerCall(cpuBefore, cpuAfter, all.Length),
        };
        return (result, windows);
    }

    /// <summary>CPU ms per call of each process over the whole run (JIT included: that is the point).</summary>
    private static Dictionary<string, double> CpuPerCall(Dictionary<string, double>? before, Dictionary<string, double>? after, long calls)
    {
        var perCall = new Dictionary<string, double>();
        if (before is null || after is null || calls == 0)
        {
            return perCall;
        }

        foreach (var (k, v) in after)
        {
            if (before.TryGetValue(k, out var b))
            {
                perCall[k] = Math.Round((v - b) * 1000 / calls, 3);
            }
        }

        perCall["total"] = Math.Round(perCall.Values.Sum(), 3);
        return perCall;
    }

    /// <summary>The per-window table, as markdown.</summary>
    public static string Markdown(IEnumerable<StartupWindow> windows)
    {
        var md = new StringBuilder();
        md.AppendLine("| startup window s | ok | errors | p50 ms | p99 ms | max ms |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|");
        foreach (var w in windows)
        {
            var errs = w.Errors == 0 ? "0" : $"{w.Errors} ({string.Join(", ", w.ErrorsByStatus.Select(kv => $"{kv.Key} {kv.Value}"))})";
            md.AppendLine(CultureInfo.InvariantCulture, $"| {w.FromSecond}-{w.ToSecond} | {w.Requests} | {errs} | {w.P50Ms:F2} | {w.P99Ms:F2} | {w.MaxMs:F2} |");
        }

        return md.ToString();
    }

    private static StartupWindow Window(int from, int to, IEnumerable<(double ScheduledS, long LatencyUs, string? Failure)> outcomes)
    {
        var h = new LongHistogram(60_000_000L, 3);
        var errors = new Dictionary<string, long>();
        foreach (var o in outcomes)
        {
            if (o.Failure is null)
            {
                h.RecordValue(o.LatencyUs);
            }
            else
            {
                errors[o.Failure] = errors.GetValueOrDefault(o.Failure) + 1;
            }
        }

        double Ms(Func<long> us) => h.TotalCount == 0 ? 0 : us() / 1000.0;
        return new StartupWindow(from, to, h.TotalCount, errors.Values.Sum(), errors,
            Ms(() => h.GetValueAtPercentile(50)), Ms(() => h.GetValueAtPercentile(99)), Ms(h.GetMaxValue))
        {
            P90Ms = Ms(() => h.GetValueAtPercentile(90)),
            P999Ms = Ms(() => h.GetValueAtPercentile(99.9)),
        };
    }
}
