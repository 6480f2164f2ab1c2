using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Lcr.Bench.Seeding;
using Lcr.BulkSeed;
using Lcr.ServiceDefaults.DevData;
using Npgsql;

// lcr-bulk-seed: synthetic filler patients in the benchmark's own databases (docs/performance.md,
// "Scaling with the store").
//   fill --patients 100000 [--entries-per-patient 50] [--only clinical|demographics] [--workers 2] [--chunk 250] [--no-vacuum] [--out seed.json]
//   explain [--patient NHS ...]     EXPLAIN (ANALYZE, BUFFERS) of the read path's queries, as the services send them
//   queries [--rounds 5] [--out f]   times the read path's queries one call at a time (cohort and filler patients)
//   status                           filler patients present, rows, database sizes
//   remove                           delete every filler patient's rows (the cohort's stay)
// fill exits with 3 (and loads nothing) when a store already holds more filler patients than --patients.
//   report [--dir bench/results/scale] [--size N ...]   the scaling tables from bench-scale.sh's results
// Databases: <prefix>demographics and <prefix>clinical on the local PostgreSQL (LCR_POSTGRES_ADMIN or
// .data/infra.env), prefix --database-prefix, else $LCR_BENCH_DB_PREFIX, else lcr_bench_. Their schema
// comes from the services' migrations (their `migrate` verb), never from this tool.
var prefix = new Option<string>("--database-prefix")
{
    Description = "Database name prefix: <prefix>demographics, <prefix>clinical.",
    DefaultValueFactory = _ => Environment.GetEnvironmentVariable("LCR_BENCH_DB_PREFIX") is { Length: > 0 } p ? p : "lcr_bench_",
    Recursive = true,
};

var patients = new Option<int>("--patients") { Description = "Filler patients wanted in total (those present are kept).", Required = true };
var perPatient = new Option<int>("--entries-per-patient") { Description = "Clinical entries of each patient added (default 50).", DefaultValueFactory = _ => 50 };
var only = new Option<string?>("--only") { Description = "Load one store only: clinical or demographics." };
only.AcceptOnlyFromAmong("clinical", "demographics");
var workers = new Option<int>("--workers") { Description = "Concurrent COPY streams (default 2).", DefaultValueFactory = _ => 2 };
var chunk = new Option<int>("--chunk") { Description = "Patients per transaction (default 250).", DefaultValueFactory = _ => 250 };
var noVacuum = new Option<bool>("--no-vacuum") { Description = "ANALYZE only afterwards, no VACUUM." };
var fillOut = new Option<string?>("--out") { Description = "Also write what was done, and the stores' sizes afterwards, as JSON to this file." };
var fill = new Command("fill", "Load filler patients up to --patients (adds only what is missing; resumes an interrupted load).")
{
    patients, perPatient, only, workers, chunk, noVacuum, fillOut,
};
fill.SetAction(async (parse, ct) =>
{
    var count = parse.GetValue(patients);
    if (count > FillerCohort.Capacity)
    {
        await Console.Error.WriteLineAsync(Invariant($"--patients: the 999 test range has room for {FillerCohort.Capacity:N0} filler patients beside the cohort"));
        return 2;
    }

    var options = new LoadOptions(parse.GetValue(workers), parse.GetValue(chunk), !parse.GetValue(noVacuum));
    var which = parse.GetValue(only);
    var db = parse.GetValue(prefix)!;
    var started = DateTimeOffset.UtcNow;
    var loadStart = Stores.LoadAverage();
    var total = Stopwatch.StartNew();
    var reports = new List<LoadReport>();
    var stores = Stores.All(parse.GetValue(perPatient)).Where(s => which is null || s.Name == which).ToList();
    foreach (var store in stores)
    {
        await using var source = Stores.Open(db, store);
        if ((await store.LoadedAsync(source, ct)).Count > count)
        {
            await Console.Error.WriteLineAsync(Invariant(
                $"{store.Name}: the store already holds more than {count:N0} filler patients; 'lcr-bulk-seed remove' starts again from none"));
            return 3;
        }
    }

    foreach (var store in stores)
    {
        await using var source = Stores.Open(db, store);
        reports.Add(await BulkLoader.FillAsync(store, source, count, options, Console.Out, ct));
    }

    var seconds = total.Elapsed.TotalSeconds;
    var loadEnd = Stores.LoadAverage();
    foreach (var r in reports)
    {
        Console.WriteLine(Invariant(
            $"{r.Store}: {r.Target:N0} filler patients ({r.Present:N0} were there, {r.Added:N0} added): {r.AllRows:N0} rows ({r.MainRows:N0} {(r.Store == "clinical" ? "entries" : "patients")}) copied in {r.Copy.TotalSeconds:F1} s = {r.RowsPerSecond:N0} rows/s; vacuum/analyze {r.Maintenance.TotalSeconds:F1} s"));
    }

    Console.WriteLine(Invariant($"fill: done in {seconds:F1} s (load average {loadStart:F1} at the start, {loadEnd:F1} at the end)"));
    if (parse.GetValue(fillOut) is { } file)
    {
        var statuses = new List<StoreStatus>();
        foreach (var store in Stores.All(1))
        {
            await using var source = Stores.Open(db, store);
            statuses.Add(await Stores.StatusAsync(source, store, ct));
        }

        var seed = new SeedRecord(count, parse.GetValue(perPatient), started, Math.Round(seconds, 1), loadStart, loadEnd,
            reports.Select(SeedStep.From).ToList(), statuses);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(seed, Stores.Json), ct);
    }

    return 0;
});

var patient = new Option<string[]>("--patient") { Description = "NHS number to explain (repeatable; default: a cohort patient the read scenarios use and a filler patient).", AllowMultipleArgumentsPerToken = true };
var explain = new Command("explain", "EXPLAIN (ANALYZE, BUFFERS) of the queries of GetPatient, a summary cache miss and the list scenario, as the services send them.") { patient };
explain.SetAction(async (parse, ct) =>
{
    var db = parse.GetValue(prefix)!;
    await using var clinical = LocalPostgres.DataSource(LocalPostgres.ConnectionString(db + "clinical"));
    await using var demographics = LocalPostgres.DataSource(LocalPostgres.ConnectionString(db + "demographics"));
    var wanted = parse.GetValue(patient) is { Length: > 0 } given ? given : await DefaultPatientsAsync(clinical, demographics, ct);
    foreach (var nhs in wanted)
    {
        Console.WriteLine($"==== patient {nhs} ({(string.CompareOrdinal(nhs, FillerCohort.LowestNhsNumber) >= 0 ? "filler" : "cohort")})");
        Console.WriteLine(await QueryPlans.ExplainReadPathAsync(clinical, demographics, nhs, ct));
    }

    return 0;
});

var rounds = new Option<int>("--rounds") { Description = "Passes over the patients (the first reported apart, as first reads; default 5).", DefaultValueFactory = _ => 5 };
var queriesOut = new Option<string?>("--out") { Description = "Also write the timings as JSON to this file." };
var queries = new Command("queries",
    "Times the read path's database work one call at a time, as the services run it, for the load generator's cohort patients and as many filler patients spread over the store.")
{
    rounds, queriesOut,
};
queries.SetAction(async (parse, ct) =>
{
    var db = parse.GetValue(prefix)!;
    // As the services configure theirs: statements prepared after their second use.
    string Prepared(string store) => new NpgsqlConnectionStringBuilder(LocalPostgres.ConnectionString(db + store)) { MaxAutoPrepare = 64, AutoPrepareMinUsages = 2 }.ConnectionString;
    await using var clinical = LocalPostgres.DataSource(Prepared("clinical"));
    await using var demographics = LocalPostgres.DataSource(Prepared("demographics"));
    var cohort = LoadGenPatients();
    var inBoth = Math.Min(await FillerCountAsync(clinical, "patient_records", ct), await FillerCountAsync(demographics, "patients", ct));
    var all = FillerCohort.First(inBoth);
    var filler = inBoth == 0 ? [] : Enumerable.Range(0, cohort.Length).Select(k => all[(int)((long)k * inBoth / cohort.Length)].NhsNumber).Distinct().ToArray();
    var loadStart = Stores.LoadAverage();
    var timings = await QueryPlans.TimeReadPathAsync(clinical, demographics, "cohort", cohort, parse.GetValue(rounds), ct);
    if (filler.Length > 0)
    {
        timings.AddRange(await QueryPlans.TimeReadPathAsync(clinical, demographics, "filler", filler, parse.GetValue(rounds), ct));
    }

    var loadEnd = Stores.LoadAverage();
    Console.WriteLine(Invariant($"Read path database time, one call at a time ({cohort.Length} cohort patients, {filler.Length} filler patients of {inBoth:N0}; load average {loadStart:F1} -> {loadEnd:F1}):"));
    Console.WriteLine();
    Console.WriteLine("| query | patients | reads | calls | median ms | p90 ms | p99 ms | max ms |");
    Console.WriteLine("|---|---|---|---:|---:|---:|---:|---:|");
    foreach (var t in timings)
    {
        Console.WriteLine(Invariant($"| {t.Query} | {t.Patients} | {t.Reads} | {t.Count} | {t.MedianMs:F2} | {t.P90Ms:F2} | {t.P99Ms:F2} | {t.MaxMs:F2} |"));
    }

    if (parse.GetValue(queriesOut) is { } file)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(new QueryRecord(inBoth, loadStart, loadEnd, timings), Stores.Json), ct);
    }

    return 0;
});

var status = new Command("status", "Filler patients present, row counts (planner estimates) and database sizes.");
status.SetAction(async (parse, ct) =>
{
    var db = parse.GetValue(prefix)!;
    foreach (var store in Stores.All(1))
    {
        await using var source = Stores.Open(db, store);
        var s = await Stores.StatusAsync(source, store, ct);
        Console.WriteLine(Invariant($"{s.Database}: {s.FillerPatients:N0} filler patients, {s.DatabaseBytes / 1048576.0:N0} MiB; ")
            + string.Join("; ", s.Tables.Select(t => Invariant($"{t.Name} {t.Rows:N0} rows {t.Bytes / 1048576.0:N0} MiB"))));
    }

    return 0;
});

var remove = new Command("remove", "Delete every filler patient's rows from both stores (the seeded cohort stays), then VACUUM ANALYZE.");
remove.SetAction(async (parse, ct) =>
{
    var db = parse.GetValue(prefix)!;
    foreach (var store in Stores.All(1))
    {
        await using var source = Stores.Open(db, store);
        var clock = Stopwatch.StartNew();
        var removed = await store.RemoveAllAsync(source, ct);
        foreach (var table in store.Tables)
        {
            await LocalPostgres.ExecuteAsync(source, "VACUUM (ANALYZE) " + table, ct);
        }

        Console.WriteLine(Invariant($"{store.Name}: removed {removed:N0} filler patients in {clock.Elapsed.TotalSeconds:F1} s"));
    }

    return 0;
});

var dir = new Option<string>("--dir") { Description = "bench-scale.sh's results directory (one sub-directory per size).", DefaultValueFactory = _ => "bench/results/scale" };
var sizes = new Option<int[]>("--size") { Description = "Only these sizes (repeatable; default: every size with results).", AllowMultipleArgumentsPerToken = true };
var report = new Command("report", "The scaling tables (seeding; read scenarios per size, with ratios to the floor and to the smallest size) as markdown.") { dir, sizes };
report.SetAction(parse =>
{
    Console.Write(ScaleReport.Markdown(parse.GetValue(dir)!, parse.GetValue(sizes) is { Length: > 0 } only ? only : null));
    return 0;
});

var root = new RootCommand("Bulk seeding of synthetic filler patients into the benchmark's own databases (issue 9's scaling curve).")
{
    prefix, fill, explain, queries, status, remove, report,
};
return await root.Parse(args).InvokeAsync();

// The patients bench/Lcr.LoadGen's read scenarios rotate over: registered at B86001, no scenario patient (Scenario.IsOrdinary), not restricted.
static string[] LoadGenPatients() => SyntheticCohort.Patients.Select((p, i) => (p, i))
    .Where(x => x.p.PracticeOds == "B86001" && SyntheticOrganisations.Scenario.IsOrdinary(x.i) && !x.p.Restricted).Select(x => x.p.NhsNumber).ToArray();

static async Task<string[]> DefaultPatientsAsync(NpgsqlDataSource clinical, NpgsqlDataSource demographics, CancellationToken ct)
{
    // The first patient of bench/Lcr.LoadGen's rotation ...
    var cohort = LoadGenPatients()[0];
    // ... and the filler patient in the middle of those in both stores.
    var inBoth = Math.Min(await FillerCountAsync(clinical, "patient_records", ct), await FillerCountAsync(demographics, "patients", ct));
    return inBoth == 0 ? [cohort] : [cohort, FillerCohort.First(inBoth)[inBoth / 2].NhsNumber];
}

static async Task<int> FillerCountAsync(NpgsqlDataSource source, string table, CancellationToken ct)
{
    await using var cmd = source.CreateCommand($"SELECT count(*) FROM {table} WHERE nhs_number >= $1");
    cmd.Parameters.Add(new NpgsqlParameter { Value = FillerCohort.LowestNhsNumber, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Char });
    return (int)(long)(await cmd.ExecuteScalarAsync(ct))!;
}

static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
