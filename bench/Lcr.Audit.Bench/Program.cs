using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Google.Protobuf.WellKnownTypes;
using Grpc.Net.Client;
using HdrHistogram;
using Lcr.Audit;
using Lcr.Audit.Application;
using Lcr.Audit.V1;
using Lcr.Common.V1;
using Lcr.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

// Audit append benchmark.
//   dotnet run -c Release --project bench/Lcr.Audit.Bench -- [--callers 32] [--seconds 10] [--warmup 3]
//       [--events-per-call 1] [--rate 1000] [--no-fsync] [--floor-seconds 3] [--concurrent-commits 4]
// Creates a throwaway database on the local PostgreSQL (LCR_POSTGRES_ADMIN, or .data/infra.env),
// hosts the real audit service on a loopback port, and drives RecordEvents from N concurrent
// callers (one event per call, as the gateway does per view). Reports committed events/s and
// per-call latency and the group-commit batch size for: one caller back to back, N callers back
// to back (maximum throughput), and N callers paced at --rate calls/s (latency at the target
// load); and the disk's flush time measured by pg_test_fsync in the PostgreSQL data directory's
// file system.
var options = BenchOptions.Parse(args);
var admin = Infra.Get("LCR_POSTGRES_ADMIN");
var database = "lcr_bench_" + Guid.NewGuid().ToString("N");
await Infra.ExecuteAsync(admin, $"CREATE DATABASE \"{database}\"");
try
{
    var port = FreePort();

    // As in production: internal credentials on, the bench calling as the gateway does.
    var signingKey = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
    var gateway = new InternalCredentials(signingKey, "gateway", ["gateway"]);
    var credential = gateway.For(new Actor { Kind = ActorKind.Platform, Id = "gateway", Organisation = new OrganisationReference { OdsCode = "LCR" } });
    var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [], EnvironmentName = "Production" });
    builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["ConnectionStrings:Audit"] = new NpgsqlConnectionStringBuilder(admin) { Database = database, MaxPoolSize = 50 }.ConnectionString,
        ["Kestrel:Endpoints:Grpc:Url"] = $"http://127.0.0.1:{port}",
        ["Logging:LogLevel:Default"] = "Warning",
        ["Internal:SigningKey"] = Convert.ToBase64String(signingKey),
        ["Audit:MaxConcurrentCommits"] = options.ConcurrentCommits.ToString(CultureInfo.InvariantCulture),
    });
    builder.AddServiceDefaults("audit");
    builder.AddAuditServices();
    await using var app = builder.Build();
    app.MapAuditEndpoints();
    app.MapDefaultEndpoints();
    foreach (var migrator in app.Services.GetServices<IDatabaseMigrator>())
    {
        await migrator.MigrateAsync(CancellationToken.None);
    }

    await app.StartAsync();
    using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{port}");
    var client = new AuditService.AuditServiceClient(channel);

    var fsync = options.RunFsync ? FsyncProbe.Measure() : null;
    Console.WriteLine($"Audit append benchmark: {Environment.ProcessorCount} CPUs, events per call {options.EventsPerCall}, " +
                      $"concurrent commits {options.ConcurrentCommits}, load average {File.ReadAllText("/proc/loadavg").Trim()}");
    if (fsync is not null)
    {
        Console.WriteLine($"pg_test_fsync ({fsync.Directory}): one 8kB write + fdatasync = {fsync.FdatasyncMicros:0} us/op " +
                          $"(open_datasync {fsync.OpenDatasyncMicros:0} us/op)");
    }

    await Run(client, credential, 1, options, warmupOnly: true, rate: 0);

    // The floors under an append: a gRPC round trip that does nothing (health check, same
    // channel and server), and one single-row INSERT + synchronous COMMIT from Npgsql.
    var grpcFloor = await Floors.GrpcAsync(channel, options.FloorSeconds);
    var commitFloor = await Floors.CommitAsync(new NpgsqlConnectionStringBuilder(admin) { Database = database }.ConnectionString, options.FloorSeconds);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"Floors: gRPC loopback round trip (health check) p50 {grpcFloor.P50Ms:0.000} ms, p99 {grpcFloor.P99Ms:0.000} ms; " +
        $"PostgreSQL one-row INSERT + COMMIT p50 {commitFloor.P50Ms:0.000} ms, p99 {commitFloor.P99Ms:0.000} ms"));

    var single = await Run(client, credential, 1, options, warmupOnly: false, rate: 0);
    Report("1 caller, back to back", single);
    var concurrent = await Run(client, credential, options.Callers, options, warmupOnly: false, rate: 0);
    Report($"{options.Callers} callers, back to back", concurrent);
    var paced = await Run(client, credential, options.Callers, options, warmupOnly: false, rate: options.Rate);
    Report($"{options.Callers} callers, {options.Rate}/s offered", paced);
    if (fsync is not null)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Targets: >= 1000 events/s with {options.Callers} callers: {(concurrent.EventsPerSecond >= 1000 ? "met" : "NOT met")} " +
            $"({concurrent.EventsPerSecond:0}/s); p50 < 2 x fdatasync = {2 * fsync.FdatasyncMicros / 1000:0.00} ms at {options.Rate}/s offered: " +
            $"{(paced.P50Ms * 1000 < 2 * fsync.FdatasyncMicros && paced.EventsPerSecond >= 0.95 * options.Rate ? "met" : "NOT met")} " +
            $"(p50 = {paced.P50Ms * 1000 / fsync.FdatasyncMicros:0.00} x fdatasync)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Service-side append latency at {options.Rate}/s offered: p50 {paced.ServiceP50Ms:0.000} ms = " +
            $"{paced.ServiceP50Ms * 1000 / fsync.FdatasyncMicros:0.00} x fdatasync (target < 2: " +
            $"{(paced.ServiceP50Ms * 1000 < 2 * fsync.FdatasyncMicros ? "met" : "NOT met")}); " +
            $"PostgreSQL commit floor = {commitFloor.P50Ms * 1000 / fsync.FdatasyncMicros:0.00} x fdatasync"));
    }

    var verified = await client.VerifyChainAsync(new VerifyChainRequest(), credential, deadline: DateTime.UtcNow.AddMinutes(5));
    Console.WriteLine($"VerifyChain after the run: intact={verified.Intact}, {verified.EventsVerified} events verified; " +
                      $"load average {File.ReadAllText("/proc/loadavg").Trim()}");
    await app.StopAsync();
}
finally
{
    NpgsqlConnection.ClearAllPools();
    await Infra.ExecuteAsync(admin, $"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)");
}

static void Report(string label, RunResult r) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"{label,-32}: {r.EventsPerSecond,6:0} events/s committed; latency p50 {r.P50Ms:0.00} ms, p90 {r.P90Ms:0.00} ms, " +
    $"p99 {r.P99Ms:0.00} ms, max {r.MaxMs:0.00} ms; service-side (receipt to commit) p50 {r.ServiceP50Ms:0.000} ms, " +
    $"p99 {r.ServiceP99Ms:0.000} ms; {r.Commits} commits of {r.EventsPerCommit:0.0} events, " +
    $"{r.MeanCommitMs:0.00} ms each (insert + commit round trip); {r.CpuMsPerEvent:0.000} ms CPU per event (client and service)"));

// rate 0: each caller sends its next call as soon as the last returns (closed loop, maximum
// throughput). rate > 0: callers send on a fixed schedule totalling `rate` calls/s, and latency is
// measured from the scheduled send time, so a stall is not hidden by the callers waiting on it.
static async Task<RunResult> Run(AuditService.AuditServiceClient client, Grpc.Core.Metadata credential, int callers, BenchOptions o,
    bool warmupOnly, int rate)
{
    var seconds = warmupOnly ? o.WarmupSeconds : o.Seconds;
    var histogram = new LongConcurrentHistogram(1, TimeStamp.Seconds(60), 3);
    long events = 0;
    using var commits = new CommitCounter();
    using var service = new ServiceLatency();
    var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
    var stop = Stopwatch.StartNew();
    var patients = Enumerable.Range(0, 5000).Select(i => NhsNumberFor(i)).ToArray();
    var workers = Enumerable.Range(0, callers).Select(c => Task.Run(async () =>
    {
        var random = new Random(c);
        var interval = rate > 0 ? Stopwatch.Frequency * callers / (double)rate : 0;
        var next = Stopwatch.GetTimestamp() + (long)(interval * c / callers);
        while (stop.Elapsed.TotalSeconds < seconds)
        {
            if (rate > 0)
            {
                var wait = next - Stopwatch.GetTimestamp();
                if (wait > 0)
                {
                    await Task.Delay(TimeSpan.FromSeconds(wait / (double)Stopwatch.Frequency));
                }
            }

            var request = new RecordEventsRequest();
            for (var i = 0; i < o.EventsPerCall; i++)
            {
                request.Events.Add(Event(patients[random.Next(patients.Length)], "bench-prof-" + c));
            }

            var started = rate > 0 ? next : Stopwatch.GetTimestamp();
            await client.RecordEventsAsync(request, credential, deadline: DateTime.UtcNow.AddSeconds(30));
            histogram.RecordValue(Math.Max(1, Stopwatch.GetTimestamp() - started));
            next += (long)interval;
            Interlocked.Add(ref events, o.EventsPerCall);
        }
    })).ToArray();
    await Task.WhenAll(workers);
    var elapsed = stop.Elapsed.TotalSeconds;
    var cpuMs = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMilliseconds;
    double Ms(double percentile) => histogram.GetValueAtPercentile(percentile) * 1000.0 / Stopwatch.Frequency;
    return new RunResult(events / elapsed, Ms(50), Ms(90), Ms(99), histogram.GetMaxValue() * 1000.0 / Stopwatch.Frequency,
        commits.Commits, commits.Commits == 0 ? 0 : (double)commits.Events / commits.Commits, commits.MeanCommitMs,
        events == 0 ? 0 : cpuMs / events, service.PercentileMs(50), service.PercentileMs(99));
}

static AuditEvent Event(string nhs, string actor) => new()
{
    EventId = Guid.CreateVersion7().ToString("D"),
    OccurrenceTime = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow),
    Action = AuditAction.ViewSummary,
    Outcome = AuditOutcome.Permitted,
    Actor = new Actor
    {
        Kind = ActorKind.Professional,
        Id = actor,
        DisplayName = "Dr Bench Mark",
        Organisation = new OrganisationReference { OdsCode = "RR8" },
        RoleCode = "R8000",
    },
    CallingSystem = new Actor { Kind = ActorKind.System, Id = "ppm-plus", Organisation = new OrganisationReference { OdsCode = "RR8" } },
    NhsNumber = nhs,
    PurposeOfUse = PurposeOfUse.DirectCare,
    CareRelationshipId = "rel-" + actor,
    ReturnedCategories = { RecordCategory.Problems, RecordCategory.Medications, RecordCategory.Allergies },
    ReturnedEntryIds = { Enumerable.Range(0, 12).Select(i => "entry-" + i) },
    AccessTokenId = Guid.NewGuid().ToString("N"),
    ConsentVersion = 1,
    TraceId = ActivityTraceId.CreateRandom().ToHexString(),
};

static string NhsNumberFor(int i)
{
    for (var n = 990_000_000 + (i * 11); ; n++)
    {
        var nine = n.ToString(CultureInfo.InvariantCulture);
        var check = NhsNumber.CheckDigit(nine);
        if (check >= 0)
        {
            return nine + (char)('0' + check);
        }
    }
}

static int FreePort()
{
    using var l = new TcpListener(IPAddress.Loopback, 0);
    l.Start();
    return ((IPEndPoint)l.LocalEndpoint).Port;
}

internal sealed record RunResult(double EventsPerSecond, double P50Ms, double P90Ms, double P99Ms, double MaxMs, long Commits,
    double EventsPerCommit, double MeanCommitMs, double CpuMsPerEvent, double ServiceP50Ms, double ServiceP99Ms);

internal sealed record BenchOptions(int Callers, int Seconds, int WarmupSeconds, int EventsPerCall, int Rate, bool RunFsync, int FloorSeconds,
    int ConcurrentCommits)
{
    public static BenchOptions Parse(string[] args)
    {
        int Int(string name, int fallback)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
        }

        return new BenchOptions(Int("--callers", 32), Int("--seconds", 10), Int("--warmup", 3), Int("--events-per-call", 1),
            Int("--rate", 1000), !args.Contains("--no-fsync"), Int("--floor-seconds", 3), Int("--concurrent-commits", 4));
    }
}

/// <summary>The service's own append-latency histogram (receipt to durable commit), as an operator sees it.</summary>
internal sealed class ServiceLatency : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly LongConcurrentHistogram _micros = new(1, 60_000_000, 3);

    public ServiceLatency()
    {
        _listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == AuditWriter.MeterName && instrument.Name == AuditWriter.AppendDurationName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>((_, seconds, _, _) => _micros.RecordValue(Math.Max(1, (long)(seconds * 1_000_000))));
        _listener.Start();
    }

    public double PercentileMs(double percentile) => _micros.TotalCount == 0 ? 0 : _micros.GetValueAtPercentile(percentile) / 1000.0;

    public void Dispose() => _listener.Dispose();
}

/// <summary>What an append cannot be faster than on this machine.</summary>
internal static class Floors
{
    public sealed record Result(double P50Ms, double P99Ms);

    /// <summary>Back-to-back gRPC health checks over the bench's channel: HTTP/2 + gRPC + loopback, no work.</summary>
    public static async Task<Result> GrpcAsync(GrpcChannel channel, int seconds)
    {
        var health = new Grpc.Health.V1.Health.HealthClient(channel);
        return await Measure(seconds, async () => await health.CheckAsync(new Grpc.Health.V1.HealthCheckRequest()));
    }

    /// <summary>Back-to-back single-row INSERTs, each its own synchronously committed transaction, on one connection.</summary>
    public static async Task<Result> CommitAsync(string connectionString, int seconds)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync();
        await using (var create = new NpgsqlCommand("CREATE TABLE bench_commit_floor (id bigint PRIMARY KEY); SET synchronous_commit = on", conn))
        {
            await create.ExecuteNonQueryAsync();
        }

        await using var insert = new NpgsqlCommand("INSERT INTO bench_commit_floor (id) VALUES ($1)", conn);
        var id = new NpgsqlParameter<long>();
        insert.Parameters.Add(id);
        await insert.PrepareAsync();
        return await Measure(seconds, async () =>
        {
            id.TypedValue++;
            await insert.ExecuteNonQueryAsync();
        });
    }

    private static async Task<Result> Measure(int seconds, Func<Task> call)
    {
        var histogram = new LongHistogram(1, TimeStamp.Seconds(60), 3);
        var stop = Stopwatch.StartNew();
        while (stop.Elapsed.TotalSeconds < seconds)
        {
            var started = Stopwatch.GetTimestamp();
            await call();
            histogram.RecordValue(Math.Max(1, Stopwatch.GetTimestamp() - started));
        }

        double Ms(double p) => histogram.GetValueAtPercentile(p) * 1000.0 / Stopwatch.Frequency;
        return new Result(Ms(50), Ms(99));
    }
}

/// <summary>Counts group-commit transactions through the writer's own metric.</summary>
internal sealed class CommitCounter : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _commits;
    private long _events;
    private double _commitSeconds;

    /// <summary>Mean time from sending a batch to its commit being confirmed, in ms.</summary>
    public double MeanCommitMs
    {
        get
        {
            lock (_listener)
            {
                return Commits == 0 ? 0 : _commitSeconds * 1000 / Commits;
            }
        }
    }

    public CommitCounter()
    {
        _listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == AuditWriter.MeterName && instrument.Name is "lcr.audit.batch.events" or "lcr.audit.batch.duration")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<int>((_, value, _, _) =>
        {
            Interlocked.Increment(ref _commits);
            Interlocked.Add(ref _events, value);
        });
        _listener.SetMeasurementEventCallback<double>((_, seconds, _, _) =>
        {
            lock (_listener)
            {
                _commitSeconds += seconds;
            }
        });
        _listener.Start();
    }

    public long Commits => Interlocked.Read(ref _commits);

    public long Events => Interlocked.Read(ref _events);

    public void Dispose() => _listener.Dispose();
}

/// <summary>Runs pg_test_fsync in the PostgreSQL data directory's file system and reads the single-write flush times.</summary>
internal sealed partial record FsyncProbe(string Directory, double FdatasyncMicros, double OpenDatasyncMicros)
{
    public static FsyncProbe? Measure()
    {
        var tool = System.IO.Directory.Exists("/usr/lib/postgresql")
            ? System.IO.Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin", "pg_test_fsync")).FirstOrDefault(File.Exists)
            : null;
        var dataDir = Infra.DataDirectory();
        if (tool is null || dataDir is null)
        {
            Console.WriteLine("pg_test_fsync or the .data directory not found: flush time not measured.");
            return null;
        }

        var file = Path.Combine(dataDir, "pg_test_fsync.bench.tmp");
        try
        {
            using var p = Process.Start(new ProcessStartInfo(tool, ["-s", "2", "-f", file]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            var single = output.Split("two 8kB writes")[0];
            double Find(string method) => Line().Matches(single).Where(m => m.Groups[1].Value == method)
                .Select(m => double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture)).FirstOrDefault();
            return new FsyncProbe(dataDir, Find("fdatasync"), Find("open_datasync"));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [GeneratedRegex(@"^\s+(\w+)\s+[\d.]+ ops/sec\s+([\d.]+) usecs/op", RegexOptions.Multiline)]
    private static partial Regex Line();
}

/// <summary>The local infrastructure's settings: the environment first, then .data/infra.env.</summary>
internal static class Infra
{
    public static string Get(string key)
    {
        var env = Environment.GetEnvironmentVariable(key);
        if (!string.IsNullOrWhiteSpace(env))
        {
            return env;
        }

        var file = DataDirectory() is { } d ? Path.Combine(d, "infra.env") : null;
        if (file is not null && File.Exists(file))
        {
            foreach (var line in File.ReadAllLines(file))
            {
                var t = line.Trim();
                if (t.StartsWith("export ", StringComparison.Ordinal))
                {
                    t = t["export ".Length..];
                }

                if (t.StartsWith(key + "=", StringComparison.Ordinal))
                {
                    return t[(key.Length + 1)..].Trim('"');
                }
            }
        }

        throw new InvalidOperationException($"{key} is not set: start the infrastructure with 'scripts/infra.sh up'.");
    }

    public static string? DataDirectory()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, ".data", "infra.env")))
                {
                    return Path.Combine(dir.FullName, ".data");
                }
            }
        }

        return null;
    }

    public static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }
}
