using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using Lcr.Clinical;
using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Lcr.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using NpgsqlTypes;
using StackExchange.Redis;

// Clinical record benchmark.
//   dotnet run -c Release --project bench/Lcr.Clinical.Bench -- [--patients 100000] [--entries-per-patient 50]
//       [--summary-calls 2000] [--contributions 2000] [--batch 10] [--writers 8] [--keep]
// Creates its own database lcr_bench_clinical_<guid> on the local PostgreSQL (LCR_POSTGRES_ADMIN, or
// .data/infra.env), bulk-loads patients x entries-per-patient entries with COPY (binary), hosts the
// real clinical service on a loopback port with Redis (LCR_REDIS) and reports, end to end over gRPC:
// GetRecordSummary latency on a cache miss and on a hit (median, p90, p99), and UpsertEntries
// throughput from concurrent writers. Drops the database afterwards (unless --keep).
var o = Options.Parse(args);
var admin = Infra.Get("LCR_POSTGRES_ADMIN");
var redisConfig = Infra.Get("LCR_REDIS");
var database = "lcr_bench_clinical_" + Guid.NewGuid().ToString("N");
await Infra.ExecuteAsync(admin, $"CREATE DATABASE \"{database}\"");
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

    var patients = Enumerable.Range(0, o.Patients).Select(Data.NhsNumberOf).ToArray();
    var load = Stopwatch.StartNew();
    await Loader.LoadAsync(cs, patients, o.EntriesPerPatient);
    Console.WriteLine($"seeded in {load.Elapsed.TotalSeconds:F1} s (COPY binary, indexes built after, ANALYZE)");

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
        await Infra.ExecuteAsync(admin, $"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)");
        Console.WriteLine($"dropped {database}");
    }
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

/// <summary>Synthetic but realistically shaped entries: 50 per patient by default, in every category.</summary>
internal static class Data
{
    private const string Snomed = "http://snomed.info/sct";
    private const string Dmd = "https://dmd.nhs.uk";

    private static readonly (string Code, string Display)[] Problems =
    [
        ("195967001", "Asthma"), ("44054006", "Diabetes mellitus type 2"), ("38341003", "Hypertensive disorder"), ("35489007", "Depressive disorder"),
        ("13645005", "Chronic obstructive lung disease"), ("49436004", "Atrial fibrillation"), ("68566005", "Urinary tract infectious disease"),
        ("65966004", "Fracture of forearm"),
    ];

    private static readonly (string Code, string Display)[] Medicines =
    [
        ("39109611000001103", "Metformin 500mg tablets"), ("39112911000001109", "Amlodipine 5mg tablets"), ("39682611000001107", "Ramipril 2.5mg capsules"),
        ("39113611000001102", "Salbutamol 100micrograms/dose inhaler CFC free"), ("39112411000001104", "Sertraline 50mg tablets"),
        ("39732311000001104", "Amoxicillin 500mg capsules"),
    ];

    private static readonly (string Code, string Display, string Unit, double Low, double High)[] Tests =
    [
        ("1107481000000106", "Haemoglobin A1c level - IFCC standardised", "mmol/mol", 20, 41), ("1022431000000105", "Haemoglobin estimation", "g/L", 115, 165),
        ("1022541000000102", "Total white blood count", "10*9/L", 4, 11), ("1022651000000100", "Platelet count", "10*9/L", 150, 400),
        ("1005671000000105", "Serum cholesterol level", "mmol/L", 0, 5), ("1000731000000107", "Serum creatinine level", "umol/L", 59, 104),
        ("1011481000000105", "eGFR using creatinine (CKD-EPI)", "mL/min/{1.73_m2}", 90, 200), ("1000661000000107", "Serum sodium level", "mmol/L", 133, 146),
    ];

    public static string NhsNumberOf(int i)
    {
        // 10 digits from a block outside the cohort's 999 range; skip numbers without a check digit.
        for (var candidate = 950_000_000L + ((long)i * 11 / 10); ; candidate++)
        {
            var nine = candidate.ToString(CultureInfo.InvariantCulture);
            var check = NhsNumber.CheckDigit(nine);
            if (check >= 0 && (candidate - 950_000_000L) * 10 / 11 == i)
            {
                return nine + (char)('0' + check);
            }

            if ((candidate - 950_000_000L) * 10 / 11 > i)
            {
                return Fallback(i);
            }
        }
    }

    private static string Fallback(int i)
    {
        for (var candidate = 960_000_000L + ((long)i * 2); ; candidate++)
        {
            var nine = candidate.ToString(CultureInfo.InvariantCulture);
            var check = NhsNumber.CheckDigit(nine);
            if (check >= 0)
            {
                return nine + (char)('0' + check);
            }
        }
    }

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

    /// <summary>One bulk row: category, code, status, time, detail JSON, sensitivity, organisation.</summary>
    public static IEnumerable<(short Category, string System, string Code, string Display, short Status, DateTimeOffset Time, string Detail, string Org)> RowsFor(
        int patient, int count, Random r)
    {
        var gp = "B8600" + (1 + (patient % 3)).ToString(CultureInfo.InvariantCulture);
        for (var k = 0; k < count; k++)
        {
            var slot = k % 50;
            var time = new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero).AddMinutes(r.Next(0, 26 * 365 * 24 * 60));
            if (slot < 8)
            {
                var p = Problems[(patient + slot) % Problems.Length];
                var active = slot < 4;
                yield return (2, Snomed, p.Code, p.Display, (short)(active ? 1 : 2), time,
                    $$"""{"clinicalStatus":"{{(active ? "PROBLEM_CLINICAL_STATUS_ACTIVE" : "PROBLEM_CLINICAL_STATUS_RESOLVED")}}","onsetDate":{"year":{{time.Year}},"month":{{time.Month}},"day":{{time.Day}}} }""", gp);
            }
            else if (slot < 20)
            {
                var m = Medicines[(patient + slot) % Medicines.Length];
                var active = slot < 14;
                yield return (3, Dmd, m.Code, m.Display, (short)(active ? 1 : 2), time,
                    $$"""{"doseText":"One tablet","frequencyText":"twice a day","route":{"system":"{{Snomed}}","code":"26643006","display":"Oral route"},"startDate":{"year":{{time.Year}},"month":{{time.Month}},"day":{{time.Day}}},"status":"{{(active ? "MEDICATION_STATUS_ACTIVE" : "MEDICATION_STATUS_STOPPED")}}"}""", gp);
            }
            else if (slot < 22)
            {
                yield return (4, Snomed, slot == 20 ? "764146007" : "387207008", slot == 20 ? "Penicillin" : "Ibuprofen", 1, time,
                    $$"""{"type":"ALLERGY_TYPE_ALLERGY","reactions":[{"system":"{{Snomed}}","code":"271807003","display":"Eruption of skin"}],"severity":"ALLERGY_SEVERITY_MODERATE","verificationStatus":"ALLERGY_VERIFICATION_STATUS_CONFIRMED"}""", gp);
            }
            else if (slot < 46)
            {
                var t = Tests[(slot - 22) % Tests.Length];
                var v = Math.Round(t.Low + (r.NextDouble() * (t.High - t.Low)), 1).ToString(CultureInfo.InvariantCulture);
                yield return (5, Snomed, t.Code, t.Display, 1, time,
                    $$"""{"quantity":{"value":{{v}},"unit":"{{t.Unit}}"},"referenceRange":{"text":"{{t.Low}}-{{t.High}} {{t.Unit}}"},"abnormalFlag":"ABNORMAL_FLAG_NORMAL","effectiveTime":"{{time.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}}","status":"RESULT_STATUS_FINAL"}""", "RR8");
            }
            else
            {
                yield return (6, Snomed, "823691000000103", "Clinical letter", 1, time,
                    $$"""{"type":"DOCUMENT_TYPE_CLINIC_LETTER","title":"Outpatient clinic letter","author":"Dr A Jones, Consultant","authoredTime":"{{time.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}}","contentType":"text/plain","sizeBytes":"2048"}""", "RR8");
            }
        }
    }
}

internal static class Loader
{
    public static async Task LoadAsync(string cs, string[] patients, int perPatient)
    {
        await using var source = NpgsqlDataSource.Create(cs);
        List<(string Name, string Definition)> indexes = [];
        await using (var conn = await source.OpenConnectionAsync())
        {
            await using var cmd = new NpgsqlCommand(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'entries' AND indexname <> 'pk_entries'", conn);
            await using var rd = await cmd.ExecuteReaderAsync();
            while (await rd.ReadAsync())
            {
                indexes.Add((rd.GetString(0), rd.GetString(1)));
            }
        }

        foreach (var (name, _) in indexes)
        {
            await Exec(source, $"DROP INDEX {name}");
        }

        // Two COPY streams (this machine has two cores: one generates while the server ingests).
        const int streams = 2;
        await Task.WhenAll(Enumerable.Range(0, streams).Select(s => Task.Run(async () =>
        {
            await using var conn = await source.OpenConnectionAsync();
            await using var w = await conn.BeginBinaryImportAsync("""
                COPY entries (id, nhs_number, category, code_system, code, code_display, status, clinical_time, source_organisation,
                    source_system, source_entry_id, version, recorded_at, created_at, sensitivity, entered_in_error, detail, input_hash)
                FROM STDIN (FORMAT BINARY)
                """);
            var r = new Random(s);
            var hash = new byte[32];
            var now = DateTimeOffset.UtcNow;
            for (var p = s; p < patients.Length; p += streams)
            {
                var k = 0;
                foreach (var row in Data.RowsFor(p, perPatient, r))
                {
                    r.NextBytes(hash);
                    await w.StartRowAsync();
                    await w.WriteAsync(Guid.CreateVersion7(), NpgsqlDbType.Uuid);
                    await w.WriteAsync(patients[p], NpgsqlDbType.Char);
                    await w.WriteAsync(row.Category, NpgsqlDbType.Smallint);
                    await w.WriteAsync(row.System, NpgsqlDbType.Varchar);
                    await w.WriteAsync(row.Code, NpgsqlDbType.Varchar);
                    await w.WriteAsync(row.Display, NpgsqlDbType.Varchar);
                    await w.WriteAsync(row.Status, NpgsqlDbType.Smallint);
                    await w.WriteAsync(row.Time, NpgsqlDbType.TimestampTz);
                    await w.WriteAsync(row.Org, NpgsqlDbType.Varchar);
                    await w.WriteAsync(row.Org == "RR8" ? "PPM+" : "SystmOne", NpgsqlDbType.Varchar);
                    await w.WriteAsync($"bulk-{p}-{k++}", NpgsqlDbType.Varchar);
                    await w.WriteAsync(1L, NpgsqlDbType.Bigint);
                    await w.WriteAsync(now, NpgsqlDbType.TimestampTz);
                    await w.WriteAsync(now, NpgsqlDbType.TimestampTz);
                    await w.WriteAsync((short)1, NpgsqlDbType.Smallint);
                    await w.WriteAsync(false, NpgsqlDbType.Boolean);
                    await w.WriteAsync(row.Detail, NpgsqlDbType.Jsonb);
                    await w.WriteAsync(hash, NpgsqlDbType.Bytea);
                }
            }

            await w.CompleteAsync();
        })));

        await Exec(source, $"""
            INSERT INTO patient_records (nhs_number, record_version, updated_at)
            SELECT DISTINCT nhs_number, 1, now() FROM entries
            """);
        foreach (var (_, definition) in indexes)
        {
            await Exec(source, definition);
        }

        await Exec(source, "ANALYZE");
    }

    private static async Task Exec(NpgsqlDataSource source, string sql)
    {
        await using var cmd = source.CreateCommand(sql);
        cmd.CommandTimeout = 0;
        await cmd.ExecuteNonQueryAsync();
    }
}

internal static class Infra
{
    public static string Get(string key)
    {
        var env = Environment.GetEnvironmentVariable(key);
        if (!string.IsNullOrWhiteSpace(env))
        {
            return env;
        }

        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var file = Path.Combine(dir.FullName, ".data", "infra.env");
                if (!File.Exists(file))
                {
                    continue;
                }

                foreach (var line in File.ReadAllLines(file))
                {
                    var t = line.Trim();
                    t = t.StartsWith("export ", StringComparison.Ordinal) ? t["export ".Length..] : t;
                    if (t.StartsWith(key + "=", StringComparison.Ordinal))
                    {
                        return t[(key.Length + 1)..].Trim('"');
                    }
                }
            }
        }

        throw new InvalidOperationException($"{key} is not set: start the infrastructure with 'scripts/infra.sh up'.");
    }

    public static async Task ExecuteAsync(string cs, string sql)
    {
        await using var conn = new NpgsqlConnection(cs);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }
}
