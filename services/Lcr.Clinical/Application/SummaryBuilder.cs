using System.Data;
using Google.Protobuf.WellKnownTypes;
using Lcr.Clinical.Domain;
using Lcr.Clinical.Persistence;
using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Microsoft.EntityFrameworkCore;

namespace Lcr.Clinical.Application;

/// <summary>
/// Computes a patient's unfiltered record summary from PostgreSQL in one consistent snapshot
/// (REPEATABLE READ, read only): the record version, one UNION ALL query that reads each
/// section straight off the per-category index (so the work grows with what is shown, not with
/// the size of the record), and one grouped count; optionally without excluded entries
/// (<see cref="SummaryExclusions"/>), and the excluded entries' own counts.
/// </summary>
public sealed class SummaryBuilder(ClinicalDbContext db, TimeProvider clock)
{
    // Each branch is an index range scan on ix_entries_patient_category_time, already in order.
    // Latest result per test: DISTINCT ON (test) over the patient's results, newest first.
    internal static readonly string SectionsSql = Sections(string.Empty);

    /// <summary>
    /// The same sections without excluded entries (@xids uuid[], @xorgs text[], @xcats
    /// smallint[], @sensitive: whether sensitive entries stay): each branch still walks its
    /// index in order and stops at its limit; the latest result per test is the latest one
    /// not excluded.
    /// </summary>
    internal static readonly string FilteredSectionsSql = Sections($"""
        AND NOT (e.id = ANY(@xids)) AND NOT (e.source_organisation = ANY(@xorgs)) AND NOT (e.category = ANY(@xcats))
        AND (@sensitive OR e.sensitivity <> {(int)Sensitivity.Sensitive})
        """);

    private static string Sections(string filter) => $"""
        (SELECT e.* FROM entries e WHERE e.nhs_number = @nhs AND e.category = {(int)RecordCategory.Problems}
            AND e.status = {(int)EntryStatus.Active} AND NOT e.entered_in_error {filter}
            ORDER BY e.clinical_time DESC, e.id DESC LIMIT {Limits.MaxSummaryListed})
        UNION ALL
        (SELECT e.* FROM entries e WHERE e.nhs_number = @nhs AND e.category = {(int)RecordCategory.Medications}
            AND e.status = {(int)EntryStatus.Active} AND NOT e.entered_in_error {filter}
            ORDER BY e.clinical_time DESC, e.id DESC LIMIT {Limits.MaxSummaryListed})
        UNION ALL
        (SELECT e.* FROM entries e WHERE e.nhs_number = @nhs AND e.category = {(int)RecordCategory.Allergies}
            AND e.status = {(int)EntryStatus.Active} AND NOT e.entered_in_error {filter}
            ORDER BY e.clinical_time DESC, e.id DESC LIMIT {Limits.MaxSummaryListed})
        UNION ALL
        (SELECT l.* FROM (
            SELECT DISTINCT ON (e.code_system, e.code) e.* FROM entries e
            WHERE e.nhs_number = @nhs AND e.category = {(int)RecordCategory.TestResults}
                AND e.status = {(int)EntryStatus.Active} AND NOT e.entered_in_error {filter}
            ORDER BY e.code_system, e.code, e.clinical_time DESC, e.id DESC) l
            ORDER BY l.clinical_time DESC, l.id DESC LIMIT {Limits.MaxSummaryResults})
        UNION ALL
        (SELECT e.* FROM entries e WHERE e.nhs_number = @nhs AND e.category = {(int)RecordCategory.Documents}
            AND NOT e.entered_in_error {filter}
            ORDER BY e.clinical_time DESC, e.id DESC LIMIT {Limits.MaxSummaryDocuments})
        UNION ALL
        (SELECT e.* FROM entries e WHERE e.nhs_number = @nhs AND e.category = {(int)RecordCategory.RisksAndAlerts}
            AND e.status = {(int)EntryStatus.Active} AND NOT e.entered_in_error AND (e.active_until IS NULL OR e.active_until > @now) {filter}
            ORDER BY e.alert_severity DESC, e.clinical_time DESC, e.id DESC LIMIT {Limits.MaxSummaryAlerts})
        """;

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
    /// record versions. Record versions only rise, so an equal sum means none moved. Null when the
    /// record has moved on from that version (the caller retries).
    /// </summary>
    public async Task<IReadOnlyList<EntryCount>?> CountExcludedAsync(IReadOnlyList<string> nhsNumbers, long expectedVersion, IReadOnlySet<Guid> ids,
        CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);
        var numbers = nhsNumbers.ToArray();
        var version = await db.PatientRecords.AsNoTracking()
            .Where(r => numbers.Contains(r.NhsNumber)).SumAsync(r => r.RecordVersion, ct);
        if (version != expectedVersion)
        {
            await tx.CommitAsync(ct);
            return null;
        }

        var array = ids.ToArray();
        var counts = await db.Entries.AsNoTracking()
            .Where(e => array.Contains(e.Id) && numbers.Contains(e.NhsNumber) && !e.EnteredInError)
            .GroupBy(e => new { e.Category, e.SourceOrganisation, e.Sensitivity })
            .Select(g => new { g.Key.Category, g.Key.SourceOrganisation, g.Key.Sensitivity, Count = g.Count() })
            .ToListAsync(ct);
        await tx.CommitAsync(ct);
        return counts.Select(c => new EntryCount
        {
            Category = (RecordCategory)c.Category,
            SourceOrganisationOdsCode = c.SourceOrganisation,
            Sensitivity = (Sensitivity)c.Sensitivity,
            Count = c.Count,
        }).ToList();
    }

    /// <summary>
    /// The summary of a patient and the numbers merged into it (<paramref name="nhsNumbers"/>, the
    /// patient's own first) without the excluded entries, in one snapshot: each number's summary
    /// as the queries give it (the exclusions applied in the queries themselves, so every list is
    /// filled from what remains), combined by <see cref="SummaryCombiner"/>.
    /// </summary>
    public async Task<RecordSummary> ComputeAsync(IReadOnlyList<string> nhsNumbers, SummaryExclusions exclusions, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var parts = new List<RecordSummary>(nhsNumbers.Count);
        await using var tx = await db.Database.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);
        foreach (var nhsNumber in nhsNumbers)
        {
            parts.Add(await ComputeOneAsync(nhsNumber, exclusions, now, ct));
        }

        await tx.CommitAsync(ct);
        return SummaryCombiner.Combine(nhsNumbers[0], parts);
    }

    /// <summary>One number's summary, inside the caller's snapshot.</summary>
    private async Task<RecordSummary> ComputeOneAsync(string nhsNumber, SummaryExclusions exclusions, DateTimeOffset now, CancellationToken ct)
    {
        var summary = new RecordSummary { NhsNumber = nhsNumber };
        summary.RecordVersion = await db.PatientRecords.AsNoTracking()
            .Where(r => r.NhsNumber == nhsNumber).Select(r => r.RecordVersion).SingleOrDefaultAsync(ct);
        summary.ComputeTime = Timestamp.FromDateTimeOffset(now);
        if (summary.RecordVersion == 0)
        {
            return summary;
        }

        // Typed as the column (character(10)): a text parameter would compare as text and
        // turn every branch into a sequential scan.
        var nhs = new Npgsql.NpgsqlParameter("nhs", NpgsqlTypes.NpgsqlDbType.Char) { Value = nhsNumber };
        var at = new Npgsql.NpgsqlParameter("now", NpgsqlTypes.NpgsqlDbType.TimestampTz) { Value = now };
        var ids = exclusions.EntryIds.ToArray();
        var organisations = exclusions.Organisations.ToArray();
        var categories = exclusions.Categories.Select(c => (short)c).ToArray();
        var rows = await (exclusions.IsEmpty
                ? db.Entries.FromSqlRaw(SectionsSql, nhs, at)
                : db.Entries.FromSqlRaw(FilteredSectionsSql, nhs, at,
                    new Npgsql.NpgsqlParameter("xids", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Uuid) { Value = ids },
                    new Npgsql.NpgsqlParameter("xorgs", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text) { Value = organisations },
                    new Npgsql.NpgsqlParameter("xcats", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Smallint) { Value = categories },
                    new Npgsql.NpgsqlParameter("sensitive", NpgsqlTypes.NpgsqlDbType.Boolean) { Value = !exclusions.ExcludeSensitive }))
            .AsNoTracking()
            .ToListAsync(ct);
        var counted = db.Entries.AsNoTracking().Where(e => e.NhsNumber == nhsNumber && !e.EnteredInError);
        if (ids.Length > 0)
        {
            counted = counted.Where(e => !ids.Contains(e.Id));
        }

        if (organisations.Length > 0)
        {
            counted = counted.Where(e => !organisations.Contains(e.SourceOrganisation));
        }

        if (categories.Length > 0)
        {
            counted = counted.Where(e => !categories.Contains(e.Category));
        }

        if (exclusions.ExcludeSensitive)
        {
            counted = counted.Where(e => e.Sensitivity != (short)Sensitivity.Sensitive);
        }

        var counts = await counted
            .GroupBy(e => new { e.Category, e.SourceOrganisation, e.Sensitivity })
            .Select(g => new { g.Key.Category, g.Key.SourceOrganisation, g.Key.Sensitivity, Count = g.Count() })
            .ToListAsync(ct);

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

        foreach (var c in counts.OrderBy(c => c.Category).ThenBy(c => c.SourceOrganisation, StringComparer.Ordinal).ThenBy(c => c.Sensitivity))
        {
            summary.EntryCounts.Add(new EntryCount
            {
                Category = (RecordCategory)c.Category,
                SourceOrganisationOdsCode = c.SourceOrganisation,
                Sensitivity = (Sensitivity)c.Sensitivity,
                Count = c.Count,
            });
        }

        foreach (var g in counts.GroupBy(c => c.Category).OrderBy(g => g.Key))
        {
            summary.CategoryCounts.Add(new CategoryCount { Category = (RecordCategory)g.Key, Count = g.Sum(c => c.Count) });
        }

        return summary;
    }
}
