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
/// the size of the record), and one grouped count.
/// </summary>
public sealed class SummaryBuilder(ClinicalDbContext db, TimeProvider clock)
{
    // Each branch is an index range scan on ix_entries_patient_category_time, already in order.
    // Latest result per test: DISTINCT ON (test) over the patient's results, newest first.
    internal static readonly string SectionsSql = $"""
        (SELECT e.* FROM entries e WHERE e.nhs_number = @nhs AND e.category = {(int)RecordCategory.Problems}
            AND e.status = {(int)EntryStatus.Active} AND NOT e.entered_in_error
            ORDER BY e.clinical_time DESC, e.id DESC LIMIT {Limits.MaxSummaryListed})
        UNION ALL
        (SELECT e.* FROM entries e WHERE e.nhs_number = @nhs AND e.category = {(int)RecordCategory.Medications}
            AND e.status = {(int)EntryStatus.Active} AND NOT e.entered_in_error
            ORDER BY e.clinical_time DESC, e.id DESC LIMIT {Limits.MaxSummaryListed})
        UNION ALL
        (SELECT e.* FROM entries e WHERE e.nhs_number = @nhs AND e.category = {(int)RecordCategory.Allergies}
            AND e.status = {(int)EntryStatus.Active} AND NOT e.entered_in_error
            ORDER BY e.clinical_time DESC, e.id DESC LIMIT {Limits.MaxSummaryListed})
        UNION ALL
        (SELECT l.* FROM (
            SELECT DISTINCT ON (e.code_system, e.code) e.* FROM entries e
            WHERE e.nhs_number = @nhs AND e.category = {(int)RecordCategory.TestResults}
                AND e.status = {(int)EntryStatus.Active} AND NOT e.entered_in_error
            ORDER BY e.code_system, e.code, e.clinical_time DESC, e.id DESC) l
            ORDER BY l.clinical_time DESC, l.id DESC LIMIT {Limits.MaxSummaryResults})
        UNION ALL
        (SELECT e.* FROM entries e WHERE e.nhs_number = @nhs AND e.category = {(int)RecordCategory.Documents}
            AND NOT e.entered_in_error
            ORDER BY e.clinical_time DESC, e.id DESC LIMIT {Limits.MaxSummaryDocuments})
        """;

    public async Task<RecordSummary> ComputeAsync(string nhsNumber, CancellationToken ct)
    {
        var summary = new RecordSummary { NhsNumber = nhsNumber };
        await using var tx = await db.Database.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);

        summary.RecordVersion = await db.PatientRecords.AsNoTracking()
            .Where(r => r.NhsNumber == nhsNumber).Select(r => r.RecordVersion).SingleOrDefaultAsync(ct);
        summary.ComputeTime = Timestamp.FromDateTimeOffset(clock.GetUtcNow());
        if (summary.RecordVersion == 0)
        {
            await tx.CommitAsync(ct);
            return summary;
        }

        var rows = await db.Entries
            // Typed as the column (character(10)): a text parameter would compare as text and
            // turn every branch into a sequential scan.
            .FromSqlRaw(SectionsSql, new Npgsql.NpgsqlParameter("nhs", NpgsqlTypes.NpgsqlDbType.Char) { Value = nhsNumber })
            .AsNoTracking()
            .ToListAsync(ct);
        var counts = await db.Entries.AsNoTracking()
            .Where(e => e.NhsNumber == nhsNumber && !e.EnteredInError)
            .GroupBy(e => new { e.Category, e.SourceOrganisation, e.Sensitivity })
            .Select(g => new { g.Key.Category, g.Key.SourceOrganisation, g.Key.Sensitivity, Count = g.Count() })
            .ToListAsync(ct);
        await tx.CommitAsync(ct);

        // The UNION ALL keeps each branch's order; sort again anyway so the result never
        // depends on a plan detail.
        foreach (var row in rows.OrderByDescending(r => r.ClinicalTime).ThenByDescending(r => r.Id, GuidByteOrder.Instance))
        {
            var entry = EntryMapping.ToProto(row);
            (entry.Category switch
            {
                RecordCategory.Problems => summary.ActiveProblems,
                RecordCategory.Medications => summary.CurrentMedications,
                RecordCategory.Allergies => summary.Allergies,
                RecordCategory.TestResults => summary.LatestResults,
                _ => summary.RecentDocuments,
            }).Add(entry);
        }

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

/// <summary>Orders GUIDs as PostgreSQL orders uuids (byte by byte, big-endian).</summary>
internal sealed class GuidByteOrder : IComparer<Guid>
{
    public static readonly GuidByteOrder Instance = new();

    public int Compare(Guid x, Guid y)
    {
        Span<byte> a = stackalloc byte[16];
        Span<byte> b = stackalloc byte[16];
        x.TryWriteBytes(a, bigEndian: true, out _);
        y.TryWriteBytes(b, bigEndian: true, out _);
        return a.SequenceCompareTo(b);
    }
}
