using System.Diagnostics;
using System.Net;
using Grpc.Core;
using Grpc.Net.Client;
using HdrHistogram;

namespace Lcr.LoadGen;

/// <summary>How hard and how long to push; the same for every scenario of a run.</summary>
internal sealed record LoadSettings(int Connections, int Callers, TimeSpan WarmUp, TimeSpan Measure, long MaxRequests);

/// <summary>One measured scenario.</summary>
internal sealed record ScenarioResult(
    string Name,
    string Description,
    double? PacedRate,
    long Requests,
    long Errors,
    Dictionary<string, long> ErrorsByStatus,
    double Seconds,
    double RequestsPerSecond,
    double P50Ms,
    double P90Ms,
    double P99Ms,
    double P999Ms,
    double MaxMs)
{
    public double? RatioToFloor { get; set; }

    /// <summary>CPU milliseconds per completed call, per process (the platform's and the load generator's own), over the measured window.</summary>
    public Dictionary<string, double> CpuMsPerRequest { get; init; } = [];

    /// <summary>The machine's 1-minute load average at the end of the window (other tenants included).</summary>
    public double LoadAverage { get; init; }
}

/// <summary>
/// CPU time of processes from /proc (user + system, clock ticks), for CPU-per-request figures
/// under a fixed load. Linux only; elsewhere every figure is absent.
/// </summary>
internal sealed class ProcessCpu(IReadOnlyDictionary<string, int> pids)
{
    private static readonly double TicksPerSecond = 100; // USER_HZ: 100 on every Linux architecture .NET runs on

    public IReadOnlyDictionary<string, int> Pids { get; } = pids;

    public Dictionary<string, double> Snapshot() =>
        Pids.Select(kv => (kv.Key, Seconds: Read(kv.Value))).Where(x => x.Seconds is not null).ToDictionary(x => x.Key, x => x.Seconds!.Value);

    public static double LoadAverage()
    {
        try
        {
            return double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return double.NaN;
        }
    }

    private static double? Read(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // After the command: state is field 3; utime and stime are fields 14 and 15.
            return (long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) +
                    long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture)) / TicksPerSecond;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }
}

/// <summary>
/// Closed-loop (or paced, open-loop) load over several HTTP/2 connections. Latencies of calls
/// that start inside the measured window go into an HDR histogram (microseconds). A paced run
/// measures from each call's scheduled start, so queueing behind a slow call counts
/// (no coordinated omission).
/// </summary>
internal sealed class Generator(LoadSettings settings, ProcessCpu? cpu = null) : IDisposable
{
    private readonly Dictionary<Uri, GrpcChannel[]> _channels = [];
    private int _reportedFailure;

    /// <summary>One channel per connection: each channel's SocketsHttpHandler holds one HTTP/2 connection.</summary>
    public GrpcChannel[] Channels(Uri address)
    {
        if (!Loopback(address))
        {
            throw new ArgumentException($"refusing to load a non-loopback address: {address}");
        }

        if (!_channels.TryGetValue(address, out var channels))
        {
            channels = new GrpcChannel[settings.Connections];
            for (var i = 0; i < channels.Length; i++)
            {
                channels[i] = GrpcChannel.ForAddress(address, new GrpcChannelOptions
                {
                    HttpHandler = new SocketsHttpHandler
                    {
                        EnableMultipleHttp2Connections = false,
                        PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
                        KeepAlivePingDelay = TimeSpan.FromSeconds(60),
                        KeepAlivePingTimeout = TimeSpan.FromSeconds(30),
                    },
                    MaxReceiveMessageSize = 16 * 1024 * 1024,
                });
            }

            _channels[address] = channels;
        }

        return channels;
    }

    private static bool Loopback(Uri address) =>
        address.IsLoopback && (address.Host == "127.0.0.1" || address.Host == "localhost" || IPAddress.TryParse(address.Host, out var ip) && IPAddress.IsLoopback(ip));

    /// <param name="call">Makes call number <c>n</c> on caller <c>c</c>'s channel; timed.</param>
    /// <param name="prepare">Optional untimed step before each call (e.g. evicting a cache entry).</param>
    /// <param name="pacedRate">Calls per second to schedule (open loop); null for back to back.</param>
    public async Task<ScenarioResult> RunAsync(string name, string description, Uri address,
        Func<CallInvoker, long, Task> call, Func<long, Task>? prepare = null, double? pacedRate = null)
    {
        var channels = Channels(address);
        _reportedFailure = 0;
        var invokers = channels.Select(c => c.CreateCallInvoker()).ToArray();
        var histograms = new LongHistogram[settings.Callers];
        var errors = new Dictionary<string, long>[settings.Callers];
        long counter = -1;
        long measured = 0;
        long completedInWindow = 0;
        var start = Stopwatch.GetTimestamp();
        var measureFrom = start + (long)(settings.WarmUp.TotalSeconds * Stopwatch.Frequency);
        var stopAt = measureFrom + (long)(settings.Measure.TotalSeconds * Stopwatch.Frequency);
        var measureEnd = stopAt;
        var interval = pacedRate is { } r ? Stopwatch.Frequency / r : 0;

        async Task Caller(int c)
        {
            var h = histograms[c] = new LongHistogram(60_000_000L, 3);
            var e = errors[c] = [];
            var invoker = invokers[c % invokers.Length];
            while (true)
            {
                var n = Interlocked.Increment(ref counter);
                long scheduled;
                if (pacedRate is not null)
                {
                    scheduled = start + (long)(n * interval);
                    if (scheduled >= stopAt)
                    {
                        return;
                    }

                    var wait = scheduled - Stopwatch.GetTimestamp();
                    if (wait > 0)
                    {
                        await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency));
                    }
                }
                else
                {
                    scheduled = Stopwatch.GetTimestamp();
                    if (scheduled >= stopAt)
                    {
                        return;
                    }
                }

                if (prepare is not null)
                {
                    await prepare(n);
                    if (pacedRate is null)
                    {
                        scheduled = Stopwatch.GetTimestamp();
                    }
                }

                string? failure = null;
                try
                {
                    await call(invoker, n);
                }
                catch (RpcException ex)
                {
                    failure = ex.StatusCode.ToString();
                    if (Interlocked.Exchange(ref _reportedFailure, 1) == 0)
                    {
                        Console.Error.WriteLine($"loadgen:   first failure in {name}: {ex.StatusCode} {ex.Status.Detail}");
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException)
                {
                    failure = ex.GetType().Name;
                }

                var end = Stopwatch.GetTimestamp();
                if (end >= measureFrom)
                {
                    Interlocked.Increment(ref completedInWindow);
                }

                if (scheduled >= measureFrom && scheduled < stopAt)
                {
                    if (failure is null)
                    {
                        h.RecordValue(Math.Max(1, (end - scheduled) * 1_000_000 / Stopwatch.Frequency));
                    }
                    else
                    {
                        e[failure] = e.GetValueOrDefault(failure) + 1;
                    }

                    if (Interlocked.Increment(ref measured) >= settings.MaxRequests)
                    {
                        // Bounded in count too: end the window now.
                        measureEnd = Math.Min(Volatile.Read(ref measureEnd), end);
                        Volatile.Write(ref stopAt, end);
                        return;
                    }
                }
            }
        }

        // CPU of each process from the start of the measured window until the last call ends,
        // divided by the calls that ended in that span.
        var cpuBefore = Task.Run(async () =>
        {
            var wait = measureFrom - Stopwatch.GetTimestamp();
            if (wait > 0)
            {
                await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency));
            }

            return cpu?.Snapshot();
        });
        await Task.WhenAll(Enumerable.Range(0, settings.Callers).Select(c => Task.Run(() => Caller(c))));
        var before = await cpuBefore;
        var after = cpu?.Snapshot();
        var completed = Interlocked.Read(ref completedInWindow);
        var cpuPerRequest = new Dictionary<string, double>();
        if (before is not null && after is not null && completed > 0)
        {
            foreach (var (k, v) in after)
            {
                if (before.TryGetValue(k, out var b))
                {
                    cpuPerRequest[k] = Math.Round((v - b) * 1000 / completed, 3);
                }
            }

            cpuPerRequest["total"] = Math.Round(cpuPerRequest.Values.Sum(), 3);
        }

        var all = new LongHistogram(60_000_000L, 3);
        foreach (var h in histograms)
        {
            all.Add(h);
        }

        var byStatus = new Dictionary<string, long>();
        foreach (var e in errors)
        {
            foreach (var (k, v) in e)
            {
                byStatus[k] = byStatus.GetValueOrDefault(k) + v;
            }
        }

        var seconds = (double)(Math.Min(measureEnd, Volatile.Read(ref stopAt)) - measureFrom) / Stopwatch.Frequency;
        var ok = all.TotalCount;
        double Ms(Func<long> us) => ok == 0 ? 0 : us() / 1000.0;
        return new ScenarioResult(name, description, pacedRate, ok, byStatus.Values.Sum(), byStatus, Math.Round(seconds, 2),
            Math.Round(ok / seconds, 1),
            Ms(() => all.GetValueAtPercentile(50)), Ms(() => all.GetValueAtPercentile(90)), Ms(() => all.GetValueAtPercentile(99)),
            Ms(() => all.GetValueAtPercentile(99.9)), Ms(all.GetMaxValue))
        {
            CpuMsPerRequest = cpuPerRequest,
            LoadAverage = ProcessCpu.LoadAverage(),
        };
    }

    public void Dispose()
    {
        foreach (var c in _channels.Values.SelectMany(c => c))
        {
            c.Dispose();
        }
    }
}
