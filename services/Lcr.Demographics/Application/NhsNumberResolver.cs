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
    // guarantees termination. Every column stays character(10) so each step uses the indexes,
    // and each lookup is a LATERAL subquery behind OFFSET 0 (not flattened into a join), so it is
    // an index probe per number whatever the planner guesses about the array's size: a plain
    // join is planned, for a search page's 50-200 numbers, as a scan of every supersession.
    private static readonly string Sql = $"""
        WITH RECURSIVE
        fwd(start, n, depth) AS (
            SELECT x, x, 0 FROM unnest(@numbers::character(10)[]) AS x
            UNION ALL
            SELECT f.start, s.nhs_number, f.depth + 1
            FROM fwd f
            CROSS JOIN LATERAL (
                SELECT a.nhs_number FROM supersessions a
                WHERE a.superseded_nhs_number = f.n AND a.state = 1 OFFSET 0) s
            WHERE f.depth < {SupersessionGraph.MaxDepth}
        ),
        cur AS (SELECT DISTINCT ON (start) start, n AS current FROM fwd ORDER BY start, depth DESC),
        back(start, n, depth) AS (
            SELECT start, current, 0 FROM cur
            UNION ALL
            SELECT b.start, s.superseded_nhs_number, b.depth + 1
            FROM back b
            CROSS JOIN LATERAL (
                SELECT a.superseded_nhs_number FROM supersessions a
                WHERE a.nhs_number = b.n AND a.state = 1 OFFSET 0) s
            WHERE b.depth < {SupersessionGraph.MaxDepth}
        ),
        merged AS (
            SELECT start, array_agg(DISTINCT n ORDER BY n) FILTER (WHERE depth > 0) AS numbers
            FROM back GROUP BY start
        )
        SELECT c.start, c.current, COALESCE(m.numbers, ARRAY[]::character(10)[]) AS merged, p.death_date, p.id IS NOT NULL AS found
        FROM cur c
        JOIN merged m ON m.start = c.start
        LEFT JOIN LATERAL (SELECT q.id, q.death_date FROM patients q WHERE q.nhs_number = c.current OFFSET 0) p ON true
        """;

    /// <summary>
    /// Resolves one (valid) NHS number: every record read calls this. A first, plain statement (three
    /// index probes, no recursion to plan) answers for a number in no standing supersession, which is
    /// nearly every number; only a number on either side of one goes through the recursive walks.
    /// </summary>
    public async Task<Resolution> ResolveAsync(string nhsNumber, CancellationToken ct)
    {
        var probe = (await db.Database.SqlQueryRaw<ProbeRow>(ProbeSql, new NpgsqlParameter("n", NpgsqlDbType.Text) { Value = nhsNumber })
            .ToListAsync(ct)).Single();
        return probe.Involved
            ? (await ResolveManyAsync([nhsNumber], ct))[nhsNumber]
            : new Resolution(nhsNumber, nhsNumber, [], probe.DeathDate, probe.Found);
    }

    // The patient (ix_patients_nhs_number) and whether the number is on either side of a standing
    // supersession (ux_supersessions_active_superseded, ix_supersessions_active_by).
    private const string ProbeSql = """
        SELECT p.death_date, p.id IS NOT NULL AS found,
               (EXISTS (SELECT 1 FROM supersessions a WHERE a.state = 1 AND a.superseded_nhs_number = @n::character(10))
                OR EXISTS (SELECT 1 FROM supersessions a WHERE a.state = 1 AND a.nhs_number = @n::character(10))) AS involved
        FROM (SELECT 1) AS one
        LEFT JOIN patients p ON p.nhs_number = @n::character(10)
        """;

    /// <summary>
    /// Resolves the numbers of a search page: one statement of index probes (two per number)
    /// finds those in any standing supersession, and only they go through the full resolution,
    /// in batches of <see cref="BatchSize"/>. A number missing from the result is in none: it is
    /// its own current number with nothing merged into it.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, Resolution>> ResolveInvolvedAsync(IReadOnlyCollection<string> numbers, CancellationToken ct)
    {
        var result = new Dictionary<string, Resolution>(StringComparer.Ordinal);
        if (numbers.Count == 0)
        {
            return result;
        }

        var involved = await db.Database.SqlQueryRaw<string>(InvolvedSql, Numbers(numbers.Distinct(StringComparer.Ordinal).ToArray()))
            .ToListAsync(ct);
        foreach (var batch in involved.Chunk(BatchSize))
        {
            foreach (var (number, r) in await ResolveManyAsync(batch, ct))
            {
                result[number] = r;
            }
        }

        return result;
    }

    /// <summary>
    /// Numbers per resolution statement. PostgreSQL's estimate of the recursive walks grows with
    /// the array; past about a hundred numbers it crosses <c>jit_above_cost</c>, and compiling
    /// the plan then costs tens of milliseconds for a statement that runs in one or two.
    /// </summary>
    internal const int BatchSize = 25;

    // The numbers of a list that are on either side of a standing supersession: each a probe of
    // ux_supersessions_active_superseded and of ix_supersessions_active_by.
    private const string InvolvedSql = """
        SELECT a.superseded_nhs_number AS "Value" FROM supersessions a
        WHERE a.state = 1 AND a.superseded_nhs_number = ANY (@numbers::character(10)[])
        UNION
        SELECT a.nhs_number FROM supersessions a
        WHERE a.state = 1 AND a.nhs_number = ANY (@numbers::character(10)[])
        """;

    /// <summary>Resolves (valid) NHS numbers in one statement; every number given has an entry.</summary>
    private async Task<IReadOnlyDictionary<string, Resolution>> ResolveManyAsync(IReadOnlyCollection<string> numbers, CancellationToken ct)
    {
        var result = new Dictionary<string, Resolution>(StringComparer.Ordinal);
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

    /// <summary>One row of the probe statement (columns by name, snake case).</summary>
    private sealed class ProbeRow
    {
        public DateOnly? DeathDate { get; init; }
        public bool Found { get; init; }
        public bool Involved { get; init; }
    }

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
