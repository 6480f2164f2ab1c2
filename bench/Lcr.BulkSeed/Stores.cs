using System.Globalization;
using System.Text.Json;
using Lcr.Bench.Seeding;
using Npgsql;

namespace Lcr.BulkSeed;

/// <summary>A table's size: rows (the planner's estimate, exact after VACUUM ANALYZE) and bytes with its indexes and TOAST.</summary>
internal sealed record TableSize(string Name, long Rows, long Bytes);

/// <summary>One store's state: filler patients present, database size, its tables.</summary>
internal sealed record StoreStatus(string Store, string Database, long FillerPatients, long DatabaseBytes, List<TableSize> Tables);

/// <summary>What a fill did to one store.</summary>
internal sealed record SeedStep(string Store, int Present, int Added, long MainRows, long AllRows, double CopySeconds, double RowsPerSecond, double MaintenanceSeconds)
{
    public static SeedStep From(LoadReport r) => new(r.Store, r.Present, r.Added, r.MainRows, r.AllRows,
        Math.Round(r.Copy.TotalSeconds, 1), Math.Round(r.RowsPerSecond), Math.Round(r.Maintenance.TotalSeconds, 1));
}

/// <summary>A fill, as <c>fill --out</c> writes it.</summary>
internal sealed record SeedRecord(int Patients, int EntriesPerPatient, DateTimeOffset StartedAt, double Seconds, double LoadAverageStart,
    double LoadAverageEnd, List<SeedStep> Steps, List<StoreStatus> Stores);

/// <summary>A timing of the read path's queries, as <c>queries --out</c> writes it.</summary>
internal sealed record QueryRecord(int FillerPatients, double LoadAverageStart, double LoadAverageEnd, List<QueryTiming> Timings);

internal static class Stores
{
    public static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>The stores in load order: demographics first (the clinical record is about a registered patient).</summary>
    public static IEnumerable<IFillerStore> All(int entriesPerPatient)
    {
        yield return new DemographicsFiller();
        yield return new ClinicalFiller(entriesPerPatient);
    }

    public static NpgsqlDataSource Open(string prefix, IFillerStore store) => LocalPostgres.DataSource(LocalPostgres.ConnectionString(prefix + store.Name));

    public static async Task<StoreStatus> StatusAsync(NpgsqlDataSource source, IFillerStore store, CancellationToken ct)
    {
        var loaded = (await store.LoadedAsync(source, ct)).Count;
        await using var cmd = source.CreateCommand("""
            SELECT current_database(), pg_database_size(current_database()), relname, greatest(reltuples, 0)::bigint, pg_total_relation_size(oid)
            FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace AND relname <> '__EFMigrationsHistory'
            ORDER BY relname
            """);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        string database = "";
        long bytes = 0;
        var tables = new List<TableSize>();
        while (await reader.ReadAsync(ct))
        {
            (database, bytes) = (reader.GetString(0), reader.GetInt64(1));
            tables.Add(new TableSize(reader.GetString(2), reader.GetInt64(3), reader.GetInt64(4)));
        }

        return new StoreStatus(store.Name, database, loaded, bytes, tables);
    }

    public static double LoadAverage()
    {
        try
        {
            return double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return double.NaN;
        }
    }
}
