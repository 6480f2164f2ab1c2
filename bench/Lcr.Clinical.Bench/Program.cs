using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using Lcr.Bench.Seeding;
using Lcr.Clinical;
using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Lcr.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using StackExchange.Redis;

// Clinical record benchmark.
//   dotnet run -c Release --project bench/Lcr.Clinical.Bench -- [--patients 100000] [--entries-per-patient 50]
//       [--summary-calls 2000] [--contributions 2000] [--batch 10] [--writers 8] [--keep]
// Creates its own database lcr_bench_clinical_<guid> on the local PostgreSQL (LCR_POSTGRES_ADMIN, or
// .data/infra.env), bulk-loads patients x entries-per-patient filler entries (with their versions and
// document contents) by binary COPY with bench/Lcr.Bench.Seeding (the loader lcr-bulk-seed uses), hosts
// the real clinical service on a loopback port with Redis (LCR_REDIS) and reports, end to end over gRPC:
// GetRecordSummary latency on a cache miss and on a hit (median, p90, p99), and UpsertEntries
// throughput from concurrent writers. Drops the database afterwards (unless --keep).
var o = Options.Parse(args);
var admin = LocalPostgres.Setting("LCR_POSTGRES_ADMIN");
var redisConfig = LocalPostgres.Setting("LCR_REDIS");
var database = "lcr_bench_clinical_" + Guid.NewGuid().ToString("N");
await ExecuteAsync(admin, $"CREATE DATABASE \"{database}\"");
Console.WriteLine($"database {database}: {o.Patients:N0} patients x {o.EntriesPerPatient} entries = {(long)o.Patients * o.EntriesPerPatient:N0} entries");
try
{
    var cs = new NpgsqlConnectionStringBuilder(admin) { Database = database, MaxPoolSize = 50 }.ConnectionString;
    var port = FreePort();
    var signingKey = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
    var gateway = new InternalCredentials(signingKey, "gateway", ["gateway"]);
    var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [], EnvironmentName = "Production" });
    builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["ConnectionStrings:Clinical"] = cs,
        ["ConnectionStrings:Redis"] = redisConfig,
        ["Kestrel:Endpoints:Grpc:Url"] = $"http://127.0.0.1:{port}",
        ["Logging:LogLevel:Default"] = "Warning",
        ["Internal:SigningKey"] = Convert.ToBase64String(signingKey),
    });
    builder.AddServiceDefaults("clinical");
    builder.AddClinicalServices();
    await using var app = builder.Build();
    app.MapClinicalEndpoints();
    app.MapDefaultEndpoints();
    foreach (var migrator in app.Services.GetServices<IDatabaseMigrator>())
    {
        await migrator.MigrateAsync(CancellationToken.None);
    }

    var patients = FillerCohort.First(o.Patients).Select(p => p.NhsNumber).ToArray();
    var load = Stopwatch.StartNew();
    await using (var source = LocalPostgres.DataSource(cs))
    {
        await BulkLoader.FillAsync(new ClinicalFiller(o.EntriesPerPatient), source, o.Patients, new LoadOptions(), Console.Out);
    }

    Console.WriteLine($"seeded in {load.Elapsed.TotalSeconds:F1} s (binary COPY of entries, versions and document contents; VACUUM ANALYZE)");

    var starting = Stopwatch.StartNew();
    await app.StartAsync();
    Console.WriteLine($"service started in {starting.Elapsed.TotalSeconds:F1} s");
    using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{port}");
    var client = new ClinicalRecordService.ClinicalRecordServiceClient(channel);
    var platform = new Actor { Kind = ActorKind.Platform, Id = "gateway", Organisation = new OrganisationReference { OdsCode = "LCR" } };
    Metadata Reader() => gateway.For(platform); // short-lived: re-issued (from its cache) per call
    var redis = app.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
    var cache = app.Services.GetRequiredService<Lcr.Clinical.Caching.SummaryCache>();

    // Warm up the process (JIT, connection pools) on patients outside the measured sample.
    var warm = Stopwatch.StartNew();
    var random = new Random(42);
    for (var i = 0; i < 200; i++)
    {
        await client.GetRecordSummaryAsync(new GetRecordSummaryRequest { NhsNumber = patients[random.Next(patients.Length)] }, Reader());
    }

    Console.WriteLine($"warm-up: 200 calls in {warm.Elapsed.TotalSeconds:F1} s");
    var sample = Enumerable.Range(0, Math.Min(o.SummaryCalls, patients.Length)).Select(_ => patients[random.Next(patients.Length)]).Distinct().ToArray();
    await Task.WhenAll(sample.Select(n => redis.KeyDeleteAsync(cache.SummaryKey(n))));
    var miss = new List<double>(sample.Length);
    var entries = 0L;
    foreach (var nhs in sample)
    {
        var t = Stopwatch.GetTimestamp();
        var s = (await client.GetRecordSummaryAsync(new GetRecordSummaryRequest { NhsNumber = nhs }, Reader())).Summary;
        miss.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
        entries += s.ActiveProblems.Count + s.CurrentMedications.Count + s.Allergies.Count + s.LatestResults.Count + s.RecentDocuments.Count;
    }

    var hit = new List<double>(sample.Length);
    foreach (var nhs in sample)
    {
        var t = Stopwatch.GetTimestamp();
        await client.GetRecordSummaryAsync(new GetRecordSummaryRequest { NhsNumber = nhs }, Reader());
        hit.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
    }

    Report($"GetRecordSummary miss ({sample.Length} patients, {entries / (double)sample.Length:F1} entries shown each)", miss);
    Report($"GetRecordSummary hit  ({sample.Length} patients)", hit);

    // Contributions: writers each send batches of new entries for random patients (one organisation).
    var writers = o.Writers;
    var perWriter = o.Contributions / writers;
    var feed = new Actor { Kind = ActorKind.System, Id = "bench-feed", Organisation = new OrganisationReference { OdsCode = "RR8" } };
    var latencies = new List<double>();
    var wall = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, writers).Select(async w =>
    {
        var r = new Random(1000 + w);
        var mine = new List<double>(perWriter);
        for (var b = 0; b < perWriter; b++)
        {
            var request = new UpsertEntriesRequest { SourceOrganisationOdsCode = "RR8", SourceSystem = "PPM+" };
            for (var k = 0; k < o.Batch; k++)
            {
                request.Entries.Add(Data.NewResult(patients[r.Next(patients.Length)], $"bench-{w}-{b}-{k}", r));
            }

            var t = Stopwatch.GetTimestamp();
            await client.UpsertEntriesAsync(request, gateway.For(feed));
            mine.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
        }

        lock (latencies)
        {
            latencies.AddRange(mine);
        }
    }));
    wall.Stop();
    var batches = writers * perWriter;
    Console.WriteLine($"UpsertEntries: {batches} batches x {o.Batch} entries from {writers} writers in {wall.Elapsed.TotalSeconds:F1} s = "
        + $"{batches / wall.Elapsed.TotalSeconds:F0} batches/s, {batches * o.Batch / wall.Elapsed.TotalSeconds:F0} entries/s");
    Report("UpsertEntries batch latency", latencies);
    await app.StopAsync();
}
finally
{
    NpgsqlConnection.ClearAllPools();
    if (!o.Keep)
    {
        await ExecuteAsync(admin, $"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)");
        Console.WriteLine($"dropped {database}");
    }
}

static async Task ExecuteAsync(string cs, string sql)
{
    await using var conn = new NpgsqlConnection(cs);
    await conn.OpenAsync();
    await using var cmd = new NpgsqlCommand(sql, conn);
    await cmd.ExecuteNonQueryAsync();
}

static void Report(string what, List<double> ms)
{
    ms.Sort();
    double P(double q) => ms[Math.Min(ms.Count - 1, (int)Math.Ceiling(q * ms.Count) - 1)];
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{what}: median {P(0.5):F2} ms, p90 {P(0.9):F2} ms, p99 {P(0.99):F2} ms, max {ms[^1]:F2} ms (n={ms.Count})"));
}

static int FreePort()
{
    var l = new TcpListener(IPAddress.Loopback, 0);
    l.Start();
    var port = ((IPEndPoint)l.LocalEndpoint).Port;
    l.Stop();
    return port;
}

internal sealed record Options(int Patients, int EntriesPerPatient, int SummaryCalls, int Contributions, int Batch, int Writers, bool Keep)
{
    public static Options Parse(string[] args)
    {
        int Int(string name, int fallback)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
        }

        return new Options(Int("--patients", 100_000), Int("--entries-per-patient", 50), Int("--summary-calls", 2000),
            Int("--contributions", 2000), Int("--batch", 10), Int("--writers", 8), args.Contains("--keep"));
    }
}

/// <summary>New test results for the contribution benchmark (the bulk-loaded records come from <see cref="FillerRecords"/>).</summary>
internal static class Data
{
    private const string Snomed = "http://snomed.info/sct";

    private static readonly (string Code, string Display, string Unit, double Low, double High)[] Tests =
    [
        ("1107481000000106", "Haemoglobin A1c level - IFCC standardised", "mmol/mol", 20, 41), ("1022431000000105", "Haemoglobin estimation", "g/L", 115, 165),
        ("1022541000000102", "Total white blood count", "10*9/L", 4, 11), ("1022651000000100", "Platelet count", "10*9/L", 150, 400),
        ("1005671000000105", "Serum cholesterol level", "mmol/L", 0, 5), ("1000731000000107", "Serum creatinine level", "umol/L", 59, 104),
        ("1011481000000105", "eGFR using creatinine (CKD-EPI)", "mL/min/{1.73_m2}", 90, 200), ("1000661000000107", "Serum sodium level", "mmol/L", 133, 146),
    ];

    public static EntryContribution NewResult(string nhs, string sourceId, Random r)
    {
        var t = Tests[r.Next(Tests.Length)];
        return new EntryContribution
        {
            Entry = new Entry
            {
                NhsNumber = nhs,
                Category = RecordCategory.TestResults,
                Code = new CodedConcept { System = Snomed, Code = t.Code, Display = t.Display },
                Provenance = new Provenance { SourceEntryId = sourceId },
                TestResult = new TestResult
                {
                    Quantity = new Quantity { Value = Math.Round(t.Low + (r.NextDouble() * (t.High - t.Low)), 1), Unit = t.Unit },
                    ReferenceRange = new ReferenceRange { Text = $"{t.Low}-{t.High} {t.Unit}" },
                    AbnormalFlag = AbnormalFlag.Normal,
                    EffectiveTime = Timestamp.FromDateTime(DateTime.UtcNow.AddHours(-r.Next(1, 48))),
                    Status = ResultStatus.Final,
                },
            },
        };
    }
}
