using Google.Protobuf.WellKnownTypes;
using Lcr.Clinical.Domain;
using Lcr.Clinical.Persistence;
using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Lcr.Clinical.Application;

/// <summary>
/// Computes a patient's unfiltered record summary from PostgreSQL in one consistent snapshot
/// (REPEATABLE READ, read only) and one round trip: a single Npgsql batch of BEGIN, the record
/// version, one UNION ALL query that reads each section straight off the per-category index (so
/// the work grows with what is shown, not with the size of the record), one grouped count, and
/// COMMIT (<see cref="SummaryQueries"/>), its rows read straight off the data reader; optionally
/// without excluded entries (<see cref="SummaryExclusions"/>), and the excluded entries' own counts.
/// </summary>
public sealed class SummaryBuilder(ClinicalDbContext db, TimeProvider clock)
{
    /// <summary>The patient's unfiltered summary, in one snapshot.</summary>
    public Task<RecordSummary> ComputeAsync(string nhsNumber, CancellationToken ct) => ComputeAsync([nhsNumber], SummaryExclusions.None, ct);

    /// <summary>The patient's summary without the excluded entries, in one snapshot.</summary>
    public Task<RecordSummary> ComputeAsync(string nhsNumber, SummaryExclusions exclusions, CancellationToken ct) =>
        ComputeAsync([nhsNumber], exclusions, ct);

    /// <summary>
    /// Counts, by category, source and sensitivity, the entries among <paramref name="ids"/> that
    /// the summary of <paramref name="nhsNumbers"/> (a patient and the numbers merged into it) at
    /// <paramref name="expectedVersion"/> (the sum of their record versions) counts (current, not
    /// entered in error): one primary-key lookup per id, in the same snapshot as a check of the
    /// record versions, in one round trip (a batch like <see cref="ComputeAsync(IReadOnlyList{string}, SummaryExclusions, CancellationToken)"/>'s).
    /// Record versions only rise, so an equal sum means none moved. Null when the record has moved
    /// on from that version (the caller retries).
    /// </summary>
    public async Task<IReadOnlyList<EntryCount>?> CountExcludedAsync(IReadOnlyList<string> nhsNumbers, long expectedVersion, IReadOnlySet<Guid> ids,
        CancellationToken ct)
    {
        RequireNoTransaction();
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            await using var batch = new NpgsqlBatch((NpgsqlConnection)db.Database.GetDbConnection());
            batch.BatchCommands.Add(new NpgsqlBatchCommand(SummaryQueries.Begin));
            SummaryQueries.AddExcludedCounts(batch, nhsNumbers, ids);
            batch.BatchCommands.Add(new NpgsqlBatchCommand(SummaryQueries.Commit));
            await using var reader = await batch.ExecuteReaderAsync(ct);
            var version = await reader.ReadAsync(ct) ? reader.GetInt64(0) : 0;
            await NextAsync(reader, ct);
            var counts = new List<EntryCount>();
            while (await reader.ReadAsync(ct))
            {
                counts.Add(SummaryQueries.ReadCount(reader));
            }

            while (await reader.NextResultAsync(ct))
            {
            }

            return version == expectedVersion ? counts : null;
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>The batches bring their own BEGIN and COMMIT: they must not run inside another transaction.</summary>
    private void RequireNoTransaction()
    {
        if (db.Database.CurrentTransaction is not null)
        {
            throw new InvalidOperationException("A summary is read in its own snapshot, outside any transaction.");
        }
    }

    /// <summary>
    /// The summary of a patient and the numbers merged into it (<paramref name="nhsNumbers"/>, the
    /// patient's own first) without the excluded entries, in one snapshot and one round trip: each
    /// number's summary as the queries give it (the exclusions applied in the queries themselves,
    /// so every list is filled from what remains), combined by <see cref="SummaryCombiner"/>.
    /// </summary>
    public async Task<RecordSummary> ComputeAsync(IReadOnlyList<string> nhsNumbers, SummaryExclusions exclusions, CancellationToken ct)
    {
        RequireNoTransaction();
        var now = clock.GetUtcNow();
        var parts = new List<RecordSummary>(nhsNumbers.Count);
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            // One batch, one round trip: BEGIN REPEATABLE READ, then per number its record version,
            // sections and counts, then COMMIT. Every statement after BEGIN reads one snapshot, so
            // the lists, the counts and the version always describe the same committed state. If a
            // statement fails, PostgreSQL skips the rest (COMMIT included) and the connection's
            // pool reset rolls the transaction back.
            await using var batch = new NpgsqlBatch(connection);
            batch.BatchCommands.Add(new NpgsqlBatchCommand(SummaryQueries.Begin));
            foreach (var nhsNumber in nhsNumbers)
            {
                SummaryQueries.Add(batch, nhsNumber, exclusions, now);
            }

            batch.BatchCommands.Add(new NpgsqlBatchCommand(SummaryQueries.Commit));
            await using var reader = await batch.ExecuteReaderAsync(ct);
            // Npgsql's reader skips results without rows (BEGIN, COMMIT): it starts on the first
            // number's record version.
            foreach (var nhsNumber in nhsNumbers)
            {
                if (parts.Count > 0)
                {
                    await NextAsync(reader, ct);
                }

                parts.Add(await ReadOneAsync(reader, nhsNumber, now, ct));
            }

            // Consume the rest (COMMIT), so a failure to commit is an error, not a silent success.
            while (await reader.NextResultAsync(ct))
            {
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }

        return SummaryCombiner.Combine(nhsNumbers[0], parts);
    }

    /// <summary>
    /// One number's summary from its three results (record version, sections, counts), the reader
    /// positioned on the first; leaves it on the last. A number never contributed to (version 0)
    /// has an empty summary.
    /// </summary>
    private static async Task<RecordSummary> ReadOneAsync(NpgsqlDataReader reader, string nhsNumber, DateTimeOffset now, CancellationToken ct)
    {
        var summary = new RecordSummary { NhsNumber = nhsNumber, ComputeTime = Timestamp.FromDateTimeOffset(now) };
        summary.RecordVersion = await reader.ReadAsync(ct) ? reader.GetInt64(0) : 0;
        await NextAsync(reader, ct);
        var rows = new List<EntryRow>();
        while (await reader.ReadAsync(ct))
        {
            rows.Add(SummaryQueries.ReadEntry(reader));
        }

        await NextAsync(reader, ct);
        var counts = new List<EntryCount>();
        while (await reader.ReadAsync(ct))
        {
            counts.Add(SummaryQueries.ReadCount(reader));
        }

        if (summary.RecordVersion == 0)
        {
            return summary;
        }

        // The UNION ALL keeps each branch's order; sort again anyway so the result never
        // depends on a plan detail.
        var alerts = new List<Entry>();
        foreach (var row in rows.OrderByDescending(r => r.ClinicalTime).ThenByDescending(r => r.Id, GuidByteOrder.Instance))
        {
            var entry = EntryMapping.ToProto(row, now);
            (entry.Category switch
            {
                RecordCategory.Problems => (ICollection<Entry>)summary.ActiveProblems,
                RecordCategory.Medications => summary.CurrentMedications,
                RecordCategory.Allergies => summary.Allergies,
                RecordCategory.TestResults => summary.LatestResults,
                RecordCategory.RisksAndAlerts => alerts,
                _ => summary.RecentDocuments,
            }).Add(entry);
        }

        summary.Alerts.AddRange(AlertRules.InSummaryOrder(alerts));
        var ordered = counts.OrderBy(c => c.Category).ThenBy(c => c.SourceOrganisationOdsCode, StringComparer.Ordinal).ThenBy(c => c.Sensitivity).ToList();
        summary.EntryCounts.AddRange(ordered);
        foreach (var g in ordered.GroupBy(c => c.Category).OrderBy(g => g.Key))
        {
            summary.CategoryCounts.Add(new CategoryCount { Category = g.Key, Count = g.Sum(c => c.Count) });
        }

        return summary;
    }

    /// <summary>Moves to the next statement's result; the batch always has one.</summary>
    private static async Task NextAsync(NpgsqlDataReader reader, CancellationToken ct)
    {
        if (!await reader.NextResultAsync(ct))
        {
            throw new InvalidOperationException("The summary batch returned fewer results than it has statements.");
        }
    }
}
