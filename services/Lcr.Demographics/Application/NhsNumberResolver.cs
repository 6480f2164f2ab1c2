using Lcr.Demographics.Domain;
using Lcr.Demographics.Persistence;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace Lcr.Demographics.Application;

/// <summary>
/// Resolves NHS numbers through the standing supersessions in one SQL statement: a recursive
/// walk forward (each step one probe of <c>ux_supersessions_active_superseded</c>) to the current
/// number, a recursive walk back (each step one probe of <c>ix_supersessions_active_by</c>) for
/// what is merged into it, and the current patient by <c>ix_patients_nhs_number</c>. For a number
/// with no supersession that is three index probes, which is why every record read can afford it.
/// </summary>
public sealed class NhsNumberResolver(DemographicsDbContext db)
{
    /// <summary>One number resolved.</summary>
    public sealed record Resolution(string NhsNumber, string Current, IReadOnlyList<string> Merged, DateOnly? DeathDate, bool Found)
    {
        public bool Superseded => !string.Equals(NhsNumber, Current, StringComparison.Ordinal);
    }

    // Both walks are capped at MaxDepth steps; writes keep every chain within it, the cap only
    // guarantees termination. Every column stays character(10) so each step uses the indexes.
    private static readonly string Sql = $"""
        WITH RECURSIVE
        fwd(start, n, depth) AS (
            SELECT x, x, 0 FROM unnest(@numbers::character(10)[]) AS x
            UNION ALL
            SELECT f.start, s.nhs_number, f.depth + 1
            FROM fwd f JOIN supersessions s ON s.superseded_nhs_number = f.n AND s.state = 1
            WHERE f.depth < {SupersessionGraph.MaxDepth}
        ),
        cur AS (SELECT DISTINCT ON (start) start, n AS current FROM fwd ORDER BY start, depth DESC),
        back(start, n, depth) AS (
            SELECT start, current, 0 FROM cur
            UNION ALL
            SELECT b.start, s.superseded_nhs_number, b.depth + 1
            FROM back b JOIN supersessions s ON s.nhs_number = b.n AND s.state = 1
            WHERE b.depth < {SupersessionGraph.MaxDepth}
        )
        SELECT c.start, c.current,
               ARRAY(SELECT DISTINCT b.n FROM back b WHERE b.start = c.start AND b.depth > 0 ORDER BY b.n) AS merged,
               p.death_date, p.id IS NOT NULL AS found
        FROM cur c LEFT JOIN patients p ON p.nhs_number = c.current
        """;

    /// <summary>Resolves one (valid) NHS number.</summary>
    public async Task<Resolution> ResolveAsync(string nhsNumber, CancellationToken ct) =>
        (await ResolveManyAsync([nhsNumber], ct))[nhsNumber];

    /// <summary>Resolves (valid) NHS numbers in one statement; every number given has an entry.</summary>
    public async Task<IReadOnlyDictionary<string, Resolution>> ResolveManyAsync(IReadOnlyCollection<string> numbers, CancellationToken ct)
    {
        var result = new Dictionary<string, Resolution>(StringComparer.Ordinal);
        if (numbers.Count == 0)
        {
            return result;
        }

        var rows = await db.Database.SqlQueryRaw<ResolvedRow>(Sql, Numbers(numbers.Distinct(StringComparer.Ordinal).ToArray())).ToListAsync(ct);
        foreach (var row in rows)
        {
            result[row.Start] = new Resolution(row.Start, row.Current, row.Merged, row.DeathDate, row.Found);
        }

        return result;
    }

    /// <summary>The <c>@numbers</c> parameter of the resolution and component statements.</summary>
    internal static NpgsqlParameter Numbers(string[] numbers) =>
        new("numbers", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = numbers };

    /// <summary>One row of the resolution statement (columns by name, snake case).</summary>
    private sealed class ResolvedRow
    {
        public required string Start { get; init; }
        public required string Current { get; init; }
        public required string[] Merged { get; init; }
        public DateOnly? DeathDate { get; init; }
        public bool Found { get; init; }
    }
}
