using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace Lcr.Bench.Seeding;

/// <summary>How a load runs.</summary>
/// <param name="Workers">Concurrent COPY streams (each on its own connection; one builds rows while another is copied).</param>
/// <param name="PatientsPerChunk">Patients per transaction: the unit of progress and of resumption.</param>
/// <param name="Vacuum">VACUUM (ANALYZE) the tables afterwards (sets the visibility map, so neither the next
/// reads nor autovacuum during a benchmark pay for it); otherwise ANALYZE only.</param>
public sealed record LoadOptions(int Workers = 2, int PatientsPerChunk = 250, bool Vacuum = true);

/// <summary>What a load did.</summary>
public sealed record LoadReport(string Store, int Target, int Present, int Added, long MainRows, long AllRows, TimeSpan Copy, TimeSpan Maintenance)
{
    public double RowsPerSecond => Copy.TotalSeconds > 0 ? AllRows / Copy.TotalSeconds : 0;
}

/// <summary>
/// Loads the first N filler patients into one store, adding only the patients whose rows are
/// not yet committed: a re-run to the same size does nothing, a larger size adds the rest, an
/// interrupted load resumes. Each chunk of patients is one transaction of binary COPYs, so a
/// patient is either wholly there or not at all. The schema must already exist (the service's
/// migrations); afterwards the written tables are vacuumed and analysed.
/// </summary>
public static class BulkLoader
{
    public static async Task<LoadReport> FillAsync(IFillerStore store, NpgsqlDataSource source, int patients, LoadOptions options,
        TextWriter log, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.Workers);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.PatientsPerChunk);
        await store.RequireMigratedAsync(source, ct);
        var wanted = FillerCohort.First(patients);
        var present = await store.LoadedAsync(source, ct);
        var missing = wanted.Where(p => !present.Contains(p.NhsNumber)).ToArray();
        var presentWanted = wanted.Count - missing.Length;
        log.WriteLine(Invariant($"{store.Name}: {present.Count:N0} filler patients present, {missing.Length:N0} to add for {patients:N0}"));
        if (missing.Length == 0)
        {
            return new LoadReport(store.Name, patients, presentWanted, 0, 0, 0, TimeSpan.Zero, TimeSpan.Zero);
        }

        var chunks = missing.Chunk(options.PatientsPerChunk).ToArray();
        var next = -1;
        long main = 0, all = 0, done = 0;
        var clock = Stopwatch.StartNew();
        using var stopProgress = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var progress = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(10));
            try
            {
                while (await timer.WaitForNextTickAsync(stopProgress.Token))
                {
                    Report(store, log, Interlocked.Read(ref done), missing.Length, Interlocked.Read(ref main), Interlocked.Read(ref all), clock.Elapsed);
                }
            }
            catch (OperationCanceledException)
            {
            }
        }, CancellationToken.None);

        // The workers' first uses of the message types must not build their descriptors concurrently.
        Lcr.ServiceDefaults.ProtoDescriptors.BuildAll();
        try
        {
            await Task.WhenAll(Enumerable.Range(0, Math.Min(options.Workers, chunks.Length)).Select(_ => Task.Run(async () =>
            {
                await using var connection = await source.OpenConnectionAsync(ct);
                for (var i = Interlocked.Increment(ref next); i < chunks.Length; i = Interlocked.Increment(ref next))
                {
                    await using var tx = await connection.BeginTransactionAsync(ct);
                    var rows = await store.WriteAsync(connection, chunks[i], ct);
                    await tx.CommitAsync(ct);
                    Interlocked.Add(ref main, rows.Main);
                    Interlocked.Add(ref all, rows.All);
                    Interlocked.Add(ref done, chunks[i].Length);
                }
            }, ct)));
        }
        finally
        {
            await stopProgress.CancelAsync();
            await progress;
        }

        var copy = clock.Elapsed;
        Report(store, log, done, missing.Length, main, all, copy);
        var maintenance = Stopwatch.StartNew();
        foreach (var table in store.Tables)
        {
            await LocalPostgres.ExecuteAsync(source, (options.Vacuum ? "VACUUM (ANALYZE) " : "ANALYZE ") + table, ct);
        }

        log.WriteLine(Invariant($"{store.Name}: {(options.Vacuum ? "VACUUM (ANALYZE)" : "ANALYZE")} of {string.Join(", ", store.Tables)} in {maintenance.Elapsed.TotalSeconds:F1} s"));
        return new LoadReport(store.Name, patients, presentWanted, missing.Length, main, all, copy, maintenance.Elapsed);
    }

    private static void Report(IFillerStore store, TextWriter log, long done, long total, long main, long all, TimeSpan elapsed)
    {
        var seconds = Math.Max(elapsed.TotalSeconds, 0.001);
        var left = done == 0 ? "" : Invariant($", ~{TimeSpan.FromSeconds(seconds * (total - done) / done):hh\\:mm\\:ss} left");
        log.WriteLine(Invariant(
            $"{store.Name}: {done:N0}/{total:N0} patients, {main:N0} {store.MainRows}, {all:N0} rows in {seconds:F0} s = {all / seconds:N0} rows/s ({main / seconds:N0} {store.MainRows}/s){left}"));
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
