using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Lcr.Bench.Seeding;
using Lcr.ServiceDefaults.DevData;
using Npgsql;

// lcr-bulk-seed: synthetic filler patients in the benchmark's own databases (docs/performance.md,
// "Scaling with the store").
//   fill --patients 100000 [--entries-per-patient 50] [--only clinical|demographics] [--workers 2] [--chunk 250] [--no-vacuum]
//   explain [--patient NHS ...]     EXPLAIN (ANALYZE, BUFFERS) of the read path's queries, as the services send them
//   status                           filler patients present, rows, database sizes
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
var fill = new Command("fill", "Load filler patients up to --patients (adds only what is missing; resumes an interrupted load).")
{
    patients, perPatient, only, workers, chunk, noVacuum,
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
    var total = Stopwatch.StartNew();
    var reports = new List<LoadReport>();
    var db = parse.GetValue(prefix)!;
    if (which is null or "demographics")
    {
        await using var source = LocalPostgres.DataSource(LocalPostgres.ConnectionString(db + "demographics"));
        reports.Add(await BulkLoader.FillAsync(new DemographicsFiller(), source, count, options, Console.Out, ct));
    }

    if (which is null or "clinical")
    {
        await using var source = LocalPostgres.DataSource(LocalPostgres.ConnectionString(db + "clinical"));
        reports.Add(await BulkLoader.FillAsync(new ClinicalFiller(parse.GetValue(perPatient)), source, count, options, Console.Out, ct));
    }

    foreach (var r in reports)
    {
        Console.WriteLine(Invariant(
            $"{r.Store}: {r.Target:N0} filler patients ({r.Present:N0} were there, {r.Added:N0} added): {r.AllRows:N0} rows ({r.MainRows:N0} {(r.Store == "clinical" ? "entries" : "patients")}) copied in {r.Copy.TotalSeconds:F1} s = {r.RowsPerSecond:N0} rows/s; vacuum/analyze {r.Maintenance.TotalSeconds:F1} s"));
    }

    Console.WriteLine(Invariant($"fill: done in {total.Elapsed.TotalSeconds:F1} s"));
    return 0;
});

var patient = new Option<string[]>("--patient") { Description = "NHS number to explain (repeatable; default: a cohort patient the read scenarios use and a filler patient).", AllowMultipleArgumentsPerToken = true };
var explain = new Command("explain", "EXPLAIN (ANALYZE, BUFFERS) of the queries of GetPatient, a summary cache miss and the list scenario, as the services send them.") { patient };
explain.SetAction(async (parse, ct) =>
{
    var db = parse.GetValue(prefix)!;
    await using var clinical = LocalPostgres.DataSource(LocalPostgres.ConnectionString(db + "clinical"));
    await using var demographics = LocalPostgres.DataSource(LocalPostgres.ConnectionString(db + "demographics"));
    var wanted = parse.GetValue(patient) is { Length: > 0 } given ? given : await DefaultPatientsAsync(clinical, ct);
    foreach (var nhs in wanted)
    {
        Console.WriteLine($"==== patient {nhs} ({(string.CompareOrdinal(nhs, FillerCohort.LowestNhsNumber) >= 0 ? "filler" : "cohort")})");
        Console.WriteLine(await QueryPlans.ExplainReadPathAsync(clinical, demographics, nhs, ct));
    }

    return 0;
});

var status = new Command("status", "Filler patients present, row counts (planner estimates) and database sizes.");
status.SetAction(async (parse, ct) =>
{
    var db = parse.GetValue(prefix)!;
    foreach (var (store, table) in new[] { ("demographics", "patients"), ("clinical", "patient_records") })
    {
        await using var source = LocalPostgres.DataSource(LocalPostgres.ConnectionString(db + store));
        await using var cmd = source.CreateCommand($"""
            SELECT (SELECT count(*) FROM {table} WHERE nhs_number >= $1), pg_database_size(current_database()),
                   (SELECT string_agg(format('%s %s rows %s', relname, to_char(greatest(reltuples, 0)::bigint, 'FM999,999,999,999'),
                                             pg_size_pretty(pg_total_relation_size(oid))), '; ' ORDER BY relname)
                    FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace AND relname <> '__EFMigrationsHistory')
            """);
        cmd.Parameters.Add(new NpgsqlParameter { Value = FillerCohort.LowestNhsNumber, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Char });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        Console.WriteLine(Invariant($"{db}{store}: {reader.GetInt64(0):N0} filler patients, {reader.GetInt64(1) / 1048576.0:N0} MiB; {reader.GetString(2)}"));
    }

    return 0;
});

var root = new RootCommand("Bulk seeding of synthetic filler patients into the benchmark's own databases (issue 9's scaling curve).") { prefix, fill, explain, status };
return await root.Parse(args).InvokeAsync();

static async Task<string[]> DefaultPatientsAsync(NpgsqlDataSource clinical, CancellationToken ct)
{
    // The first patient of bench/Lcr.LoadGen's rotation (registered at B86001, not a scenario patient, not restricted) ...
    var cohort = SyntheticCohort.Patients.Select((p, i) => (p, i)).First(x => x.p.PracticeOds == "B86001" && x.i > 5 && !x.p.Restricted).p.NhsNumber;
    // ... and the filler patient in the middle of those loaded.
    await using var cmd = clinical.CreateCommand("SELECT count(*) FROM patient_records WHERE nhs_number >= $1");
    cmd.Parameters.Add(new NpgsqlParameter { Value = FillerCohort.LowestNhsNumber, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Char });
    var present = (int)(long)(await cmd.ExecuteScalarAsync(ct))!;
    return present == 0 ? [cohort] : [cohort, FillerCohort.First(present / 2 + 1)[present / 2].NhsNumber];
}

static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
