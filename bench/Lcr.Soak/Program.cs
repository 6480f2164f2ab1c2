using System.Diagnostics;
using System.Globalization;
using System.Text;
using Grpc.Core;
using Grpc.Net.Client;
using Lcr.Common.V1;
using Lcr.Gateway.V1;
using Lcr.Identity.V1;
using Lcr.Security;
using Lcr.ServiceDefaults.DevData;
using Lcr.Testing.Platform;

// make soak (scripts/soak.sh): SOAK_MINUTES (default 10), SOAK_RATE reads/s (default 50),
// SOAK_SAMPLE_SECONDS (default 10). Exit code 1 when memory or threads grow or errors appear.
static double Env(string name, double fallback) =>
    double.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0 ? v : fallback;

var minutes = Env("SOAK_MINUTES", 10);
var rate = Env("SOAK_RATE", 50);
var sampleEvery = TimeSpan.FromSeconds(Env("SOAK_SAMPLE_SECONDS", 10));
var duration = TimeSpan.FromMinutes(minutes);
var inv = CultureInfo.InvariantCulture;

Console.Error.WriteLine($"soak: starting the platform ({RealPlatform.Configuration} build, shared PostgreSQL/Redis)...");
await using var platform = await RealPlatform.StartAsync(new RealPlatformOptions
{
    ExtraEnvironment = new Dictionary<string, string>
    {
        ["Gateway__RateLimit__PermitsPerSecond"] = "100000",
        ["Gateway__RateLimit__Burst"] = "100000",
    },
});
using var channel = GrpcChannel.ForAddress(platform.GatewayAddress);
var identity = new IdentityService.IdentityServiceClient(channel);
var gateway = new GatewayService.GatewayServiceClient(channel);
var patients = SyntheticCohort.Patients.Where(p => p.PracticeOds == "B86001" && !p.Restricted).Take(20).Select(p => p.NhsNumber).ToArray();

// Set-up calls (sign-in, token issue) are retried: a freshly started platform's first calls pay
// JIT and connection set-up, and on a loaded machine can exceed the gateway's downstream deadline
// (the first run here failed its sign-in with UNAVAILABLE at load average 47).
static async Task<T> SetUpAsync<T>(Func<Task<T>> call)
{
    for (var attempt = 1; ; attempt++)
    {
        try
        {
            return await call();
        }
        catch (RpcException e) when (attempt < 10 && e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded)
        {
            Console.Error.WriteLine($"soak: set-up call got {e.StatusCode}, retrying ({attempt})");
            await Task.Delay(TimeSpan.FromSeconds(3));
        }
    }
}

var session = (await SetUpAsync(() => identity.SignInAsync(new SignInRequest { UserName = "gp.b86001", Password = platform.SeedPassword },
    deadline: DateTime.UtcNow.AddSeconds(60)).ResponseAsync)).SessionToken;

// Access tokens live 10 minutes: renewed every 5 (outside the timed calls).
var tokens = new Metadata[patients.Length];
var tokenAge = new Stopwatch();
async Task RenewAsync()
{
    tokenAge.Restart();
    for (var i = 0; i < patients.Length; i++)
    {
        var nhs = patients[i];
        tokens[i] = BearerToken.Metadata((await SetUpAsync(() => identity.IssueAccessTokenAsync(new IssueAccessTokenRequest { NhsNumber = nhs, Purpose = PurposeOfUse.DirectCare },
            BearerToken.Metadata(session), DateTime.UtcNow.AddSeconds(60)).ResponseAsync)).AccessToken);
    }
}

await RenewAsync();

// Warm-up, not judged, in two steps. Without it the timed window began on a cold platform and,
// at load average 35-47, its first 60 s were all errors (3,923 DEADLINE_EXCEEDED/UNAVAILABLE,
// then none in the remaining 500 s); with only the first step (one read at a time until 30 in a
// row succeeded) the step to the full rate still gave 40 s of errors (1,670) before none at all:
// code still at tier-0 JIT and connection pools still growing cost more CPU than this loaded
// machine gives, calls queue past their deadline, and the work done for them is wasted.
// 1. One read at a time until 30 in a row succeed.
var warmUp = Stopwatch.StartNew();
long warmReads = 0, warmErrors = 0;
for (var inARow = 0; inARow < 30; warmReads++)
{
    if (warmUp.Elapsed > TimeSpan.FromMinutes(5))
    {
        throw new InvalidOperationException($"soak: the platform did not serve 30 reads in a row within 5 minutes ({warmErrors} errors).");
    }

    var w = (int)(warmReads % patients.Length);
    try
    {
        await gateway.GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = patients[w] }, tokens[w], DateTime.UtcNow.AddSeconds(5));
        inARow++;
    }
    catch (RpcException)
    {
        inARow = 0;
        warmErrors++;
        await Task.Delay(500);
    }
}

// 2. The full rate until 10 s pass without an error (at most 5 minutes; the window starts then anyway).
var ramp = Stopwatch.StartNew();
long rampOk = 0, rampErrors = 0, lastRampErrorTicks = 0;
await PacedAsync(ramp, () => ramp.Elapsed - TimeSpan.FromTicks(Interlocked.Read(ref lastRampErrorTicks)) < TimeSpan.FromSeconds(10) &&
        ramp.Elapsed < TimeSpan.FromMinutes(5),
    _ => Interlocked.Increment(ref rampOk),
    _ =>
    {
        Interlocked.Increment(ref rampErrors);
        Interlocked.Exchange(ref lastRampErrorTicks, ramp.Elapsed.Ticks);
    },
    null);
ramp.Stop();
warmUp.Stop();
Console.Error.WriteLine($"soak: warmed up in {warmUp.Elapsed.TotalSeconds:F0} s (one at a time: {warmReads} reads, {warmErrors} errors; " +
    $"at {rate}/s for {ramp.Elapsed.TotalSeconds:F0} s: {rampOk} OK, {rampErrors} errors)");

// Calls at `rate` per second, each with a 5 s deadline, while keepGoing(); before each call,
// onTick(elapsed) (sampling). Access tokens are renewed every 5 minutes between calls.
async Task PacedAsync(Stopwatch clock, Func<bool> keepGoing, Action<long> onOk, Action<RpcException> onError, Action<TimeSpan>? onTick)
{
    var interval = TimeSpan.FromSeconds(1 / rate);
    var inflight = new List<Task>();
    long n = 0;
    while (keepGoing())
    {
        onTick?.Invoke(clock.Elapsed);
        if (tokenAge.Elapsed >= TimeSpan.FromMinutes(5))
        {
            await RenewAsync();
        }

        var i = (int)(n % patients.Length);
        var due = interval * n;
        n++;
        var wait = due - clock.Elapsed;
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }

        var token = tokens[i];
        inflight.Add(Task.Run(async () =>
        {
            try
            {
                await gateway.GetPatientRecordAsync(new GetPatientRecordRequest { NhsNumber = patients[i] }, token, DateTime.UtcNow.AddSeconds(5));
                onOk(1);
            }
            catch (RpcException e)
            {
                onError(e);
            }
        }));
        if (inflight.Count > 1000)
        {
            inflight.RemoveAll(t => t.IsCompleted);
        }
    }

    await Task.WhenAll(inflight);
}

var services = Enum.GetValues<PlatformService>();
var samples = new List<(TimeSpan At, Dictionary<PlatformService, (long RssKb, int Threads)> Values, long Ok, long Errors)>();
long ok = 0, errors = 0;
var errorsByStatus = new System.Collections.Concurrent.ConcurrentDictionary<string, long>();

(long RssKb, int Threads) Sample(int pid)
{
    long rss = 0;
    var threads = 0;
    foreach (var line in File.ReadLines($"/proc/{pid}/status"))
    {
        if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
        {
            rss = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], inv);
        }
        else if (line.StartsWith("Threads:", StringComparison.Ordinal))
        {
            threads = int.Parse(line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1].Trim(), inv);
        }
    }

    return (rss, threads);
}

void TakeSample(TimeSpan at) =>
    samples.Add((at, services.ToDictionary(s => s, s => Sample(platform.ProcessIdOf(s))), Interlocked.Read(ref ok), Interlocked.Read(ref errors)));

Console.Error.WriteLine($"soak: {rate} reads/s for {minutes} min, sampling every {sampleEvery.TotalSeconds} s");
var loadAtStart = File.ReadAllText("/proc/loadavg").Trim();
var clock = Stopwatch.StartNew();
var nextSample = TimeSpan.Zero;
await PacedAsync(clock, () => clock.Elapsed < duration,
    _ => Interlocked.Increment(ref ok),
    e =>
    {
        Interlocked.Increment(ref errors);
        errorsByStatus.AddOrUpdate(e.StatusCode.ToString(), 1, (_, v) => v + 1);
    },
    elapsed =>
    {
        if (elapsed >= nextSample)
        {
            TakeSample(elapsed);
            nextSample += sampleEvery;
        }
    });
TakeSample(clock.Elapsed);

// Flat: the last quarter's mean within 20 % (RSS) / 25 % + 4 (threads) of the second quarter's
// (the first quarter is warm-up: JIT, pools, caches filling).
static (double Q2, double Q4) Quarters(IReadOnlyList<double> values)
{
    var q = Math.Max(1, values.Count / 4);
    return (values.Skip(q).Take(q).Average(), values.Skip(values.Count - q).Average());
}

var report = new StringBuilder();
var flat = true;
report.AppendLine(inv, $"# Soak run {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
report.AppendLine();
report.AppendLine(inv, $"{minutes} min at {rate} reads/s (GetPatientRecord through the gateway, {patients.Length} patients, one GP), {RealPlatform.Configuration} build, loadavg at start {loadAtStart}, at end {File.ReadAllText("/proc/loadavg").Trim()}.");
report.AppendLine(inv, $"Warm-up before the timed window (not judged): {warmUp.Elapsed.TotalSeconds:F0} s; one read at a time until 30 in a row succeeded: {warmReads} reads, {warmErrors} errors; then {rate} reads/s until 10 s passed without an error: {ramp.Elapsed.TotalSeconds:F0} s, {rampOk} OK, {rampErrors} errors.");
report.AppendLine(inv, $"Reads OK: {ok}; errors: {errors} ({string.Join(", ", errorsByStatus.Select(kv => $"{kv.Key} {kv.Value}"))}); achieved {ok / clock.Elapsed.TotalSeconds:F1} reads/s.");
var errorsFirstHalf = samples.Where(s => s.At < duration / 2).Select(s => s.Errors).DefaultIfEmpty(0).Max();
var errorsSecondHalf = errors - errorsFirstHalf;
report.AppendLine(inv, $"Errors in the first half: {errorsFirstHalf}; in the second half: {errorsSecondHalf}.");
report.AppendLine();
report.AppendLine("| process | RSS MiB start / Q2 / end | threads start / Q2 / end | verdict |");
report.AppendLine("|---|---|---|---|");
foreach (var s in services)
{
    var rss = samples.Select(x => x.Values[s].RssKb / 1024.0).ToList();
    var threads = samples.Select(x => (double)x.Values[s].Threads).ToList();
    var (r2, r4) = Quarters(rss);
    var (t2, t4) = Quarters(threads);
    var ok1 = r4 <= r2 * 1.2 && t4 <= t2 * 1.25 + 4;
    flat &= ok1;
    report.AppendLine(inv, $"| {s} | {rss[0]:F0} / {r2:F0} / {rss[^1]:F0} | {threads[0]:F0} / {t2:F0} / {threads[^1]:F0} | {(ok1 ? "flat" : "NOT FLAT")} |");
}

var noErrorGrowth = errorsSecondHalf <= errorsFirstHalf;
report.AppendLine();
report.AppendLine(inv, $"Verdict: memory and threads {(flat ? "flat" : "NOT flat")}; errors {(errors == 0 ? "none" : noErrorGrowth ? "not growing" : "GROWING")}.");
report.AppendLine();
report.AppendLine("Samples (seconds, then RSS MiB / threads per process in the order above):");
report.AppendLine();
foreach (var x in samples)
{
    var values = string.Join(' ', services.Select(s => $"{x.Values[s].RssKb / 1024}/{x.Values[s].Threads}"));
    report.AppendLine(inv, $"    {x.At.TotalSeconds,6:F0}s ok={x.Ok} err={x.Errors} {values}");
}

var dir = Path.Combine(RealPlatform.RepositoryRoot, "bench", "results");
Directory.CreateDirectory(dir);
var file = Path.Combine(dir, $"soak-{DateTime.UtcNow:yyyyMMdd-HHmmss}.md");
await File.WriteAllTextAsync(file, report.ToString());
Console.WriteLine(report.ToString());
Console.Error.WriteLine($"soak: report written to {file}");
return flat && noErrorGrowth ? 0 : 1;
