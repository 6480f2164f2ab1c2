using Lcr.Clinical.Domain;
using Lcr.Clinical.Persistence;
using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Npgsql;
using NpgsqlTypes;

namespace Lcr.Clinical.Application;

/// <summary>
/// The statements of a summary rebuild (<see cref="SummaryBuilder"/>) and the reading of their
/// rows straight off <see cref="NpgsqlDataReader"/> (no EF Core materialisation). Per NHS number:
/// the record version (primary-key lookup), the sections (one <c>UNION ALL</c> of index-ordered,
/// <c>LIMIT</c>ed branches) and the counts by (category, source organisation, sensitivity).
/// </summary>
internal static class SummaryQueries
{
    /// <summary>The entry columns the summary shows, in the order <see cref="ReadEntry"/> reads them.</summary>
    private static readonly string[] Columns =
    [
        "id", "nhs_number", "category", "code_system", "code", "code_display", "status", "clinical_time", "source_organisation",
        "source_system", "source_entry_id", "version", "recorded_at", "sensitivity", "entered_in_error", "retraction_reason", "comment", "detail",
    ];

    private static readonly string E = string.Join(", ", Columns.Select(c => "e." + c));
    private static readonly string L = string.Join(", ", Columns.Select(c => "l." + c));

    /// <summary>
    /// Leaves out excluded entries (@xids uuid[], @xorgs text[], @xcats smallint[], @sensitive:
    /// whether sensitive entries stay).
    /// </summary>
    private static readonly string Filter = $"""
        AND NOT (e.id = ANY(@xids)) AND NOT (e.source_organisation = ANY(@xorgs)) AND NOT (e.category = ANY(@xcats))
        AND (@sensitive OR e.sensitivity <> {(int)Sensitivity.Sensitive})
        """;

    /// <summary>The begin of the snapshot: every statement after it reads the same committed state.</summary>
    public const string Begin = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

    public const string Commit = "COMMIT";

    /// <summary>The record version of @nhs (no row: never contributed to, version 0).</summary>
    public const string VersionSql = "SELECT record_version FROM patient_records WHERE nhs_number = @nhs";

    // Each branch is an index range scan on ix_entries_patient_category_time, already in order.
    // Latest result per test: DISTINCT ON (test) over the patient's results, newest first.
    public static readonly string SectionsSql = Sections(string.Empty);

    /// <summary>
    /// The same sections without excluded entries: each branch still walks its index in order and
    /// stops at its limit; the latest result per test is the latest one not excluded.
    /// </summary>
    public static readonly string FilteredSectionsSql = Sections(Filter);

    public static readonly string CountsSql = Counts(string.Empty);

    public static readonly string FilteredCountsSql = Counts(Filter);

    private static string Counts(string filter) => $"""
        SELECT e.category, e.source_organisation, e.sensitivity, count(*) FROM entries e
        WHERE e.nhs_number = @nhs AND NOT e.entered_in_error {filter}
        GROUP BY e.category, e.source_organisation, e.sensitivity
        """;

    private static string Sections(string filter) => $"""
        (SELECT {E} FROM entries e WHERE e.nhs_number = @nhs AND e.category = {(int)RecordCategory.Problems}
            AND e.status = {(int)EntryStatus.Active} AND NOT e.entered_in_error {filter}
            ORDER BY e.clinical_time DESC, e.id DESC LIMIT {Limits.MaxSummaryListed})
        UNION ALL
        (SELECT {E} FROM entries e WHERE e.nhs_number = @nhs AND e.category = {(int)RecordCategory.Medications}
            AND e.status = {(int)EntryStatus.Active} AND NOT e.entered_in_error {filter}
            ORDER BY e.clinical_time DESC, e.id DESC LIMIT {Limits.MaxSummaryListed})
        UNION ALL
        (SELECT {E} FROM entries e WHERE e.nhs_number = @nhs AND e.category = {(int)RecordCategory.Allergies}
            AND e.status = {(int)EntryStatus.Active} AND NOT e.entered_in_error {filter}
            ORDER BY e.clinical_time DESC, e.id DESC LIMIT {Limits.MaxSummaryListed})
        UNION ALL
        (SELECT {L} FROM (
            SELECT DISTINCT ON (e.code_system, e.code) {E} FROM entries e
            WHERE e.nhs_number = @nhs AND e.category = {(int)RecordCategory.TestResults}
                AND e.status = {(int)EntryStatus.Active} AND NOT e.entered_in_error {filter}
            ORDER BY e.code_system, e.code, e.clinical_time DESC, e.id DESC) l
            ORDER BY l.clinical_time DESC, l.id DESC LIMIT {Limits.MaxSummaryResults})
        UNION ALL
        (SELECT {E} FROM entries e WHERE e.nhs_number = @nhs AND e.category = {(int)RecordCategory.Documents}
            AND NOT e.entered_in_error {filter}
            ORDER BY e.clinical_time DESC, e.id DESC LIMIT {Limits.MaxSummaryDocuments})
        UNION ALL
        (SELECT {E} FROM entries e WHERE e.nhs_number = @nhs AND e.category = {(int)RecordCategory.RisksAndAlerts}
            AND e.status = {(int)EntryStatus.Active} AND NOT e.entered_in_error AND (e.active_until IS NULL OR e.active_until > @now) {filter}
            ORDER BY e.alert_severity DESC, e.clinical_time DESC, e.id DESC LIMIT {Limits.MaxSummaryAlerts})
        """;

    /// <summary>
    /// Adds one NHS number's three statements to <paramref name="batch"/>. Every parameter is
    /// typed as its column: the NHS number as character(10), because a text parameter makes
    /// PostgreSQL compare as text and turns every branch into a sequential scan.
    /// </summary>
    public static void Add(NpgsqlBatch batch, string nhsNumber, SummaryExclusions exclusions, DateTimeOffset now)
    {
        var version = new NpgsqlBatchCommand(VersionSql);
        version.Parameters.Add(Nhs(nhsNumber));
        batch.BatchCommands.Add(version);

        var sections = new NpgsqlBatchCommand(exclusions.IsEmpty ? SectionsSql : FilteredSectionsSql);
        sections.Parameters.Add(Nhs(nhsNumber));
        sections.Parameters.Add(new NpgsqlParameter("now", NpgsqlDbType.TimestampTz) { Value = now });
        AddExclusions(sections, exclusions);
        batch.BatchCommands.Add(sections);

        var counts = new NpgsqlBatchCommand(exclusions.IsEmpty ? CountsSql : FilteredCountsSql);
        counts.Parameters.Add(Nhs(nhsNumber));
        AddExclusions(counts, exclusions);
        batch.BatchCommands.Add(counts);
    }

    /// <summary>The summed record version of a set of numbers (bigint; 0 when none has a record).</summary>
    public const string VersionSumSql = "SELECT coalesce(sum(record_version), 0)::bigint FROM patient_records WHERE nhs_number = ANY(@nhs)";

    /// <summary>The entries among @ids filed under the set that a summary counts, by group (one primary-key lookup per id).</summary>
    public static readonly string ExcludedCountsSql = """
        SELECT e.category, e.source_organisation, e.sensitivity, count(*) FROM entries e
        WHERE e.id = ANY(@ids) AND e.nhs_number = ANY(@nhs) AND NOT e.entered_in_error
        GROUP BY e.category, e.source_organisation, e.sensitivity
        """;

    /// <summary>Adds the excluded-entry count's two statements (summed version, counts) to <paramref name="batch"/>.</summary>
    public static void AddExcludedCounts(NpgsqlBatch batch, IReadOnlyList<string> nhsNumbers, IReadOnlySet<Guid> ids)
    {
        var version = new NpgsqlBatchCommand(VersionSumSql);
        version.Parameters.Add(NhsSet(nhsNumbers));
        batch.BatchCommands.Add(version);

        var counts = new NpgsqlBatchCommand(ExcludedCountsSql);
        counts.Parameters.Add(NhsSet(nhsNumbers));
        counts.Parameters.Add(new NpgsqlParameter("ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = ids.ToArray() });
        batch.BatchCommands.Add(counts);
    }

    private static NpgsqlParameter NhsSet(IReadOnlyList<string> nhsNumbers) =>
        new("nhs", NpgsqlDbType.Array | NpgsqlDbType.Char) { Value = nhsNumbers.ToArray() };

    private static NpgsqlParameter Nhs(string nhsNumber) => new("nhs", NpgsqlDbType.Char) { Value = nhsNumber };

    private static void AddExclusions(NpgsqlBatchCommand command, SummaryExclusions exclusions)
    {
        if (exclusions.IsEmpty)
        {
            return;
        }

        command.Parameters.Add(new NpgsqlParameter("xids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = exclusions.EntryIds.ToArray() });
        command.Parameters.Add(new NpgsqlParameter("xorgs", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = exclusions.Organisations.ToArray() });
        command.Parameters.Add(new NpgsqlParameter("xcats", NpgsqlDbType.Array | NpgsqlDbType.Smallint)
        {
            Value = exclusions.Categories.Select(c => (short)c).ToArray(),
        });
        command.Parameters.Add(new NpgsqlParameter("sensitive", NpgsqlDbType.Boolean) { Value = !exclusions.ExcludeSensitive });
    }

    /// <summary>The current row of a sections result as the stored row (the columns <see cref="EntryMapping.ToProto"/> reads).</summary>
    public static EntryRow ReadEntry(NpgsqlDataReader r) => new()
    {
        Id = r.GetGuid(0),
        NhsNumber = r.GetString(1),
        Category = r.GetInt16(2),
        CodeSystem = r.GetString(3),
        Code = r.GetString(4),
        CodeDisplay = r.IsDBNull(5) ? null : r.GetString(5),
        Status = r.GetInt16(6),
        ClinicalTime = r.GetFieldValue<DateTimeOffset>(7),
        SourceOrganisation = r.GetString(8),
        SourceSystem = r.GetString(9),
        SourceEntryId = r.GetString(10),
        Version = r.GetInt64(11),
        RecordedAt = r.GetFieldValue<DateTimeOffset>(12),
        Sensitivity = r.GetInt16(13),
        EnteredInError = r.GetBoolean(14),
        RetractionReason = r.IsDBNull(15) ? null : r.GetString(15),
        Comment = r.IsDBNull(16) ? null : r.GetString(16),
        Detail = r.GetString(17),
        InputHash = [], // not read: the summary never shows it
    };

    /// <summary>The current row of a counts result.</summary>
    public static EntryCount ReadCount(NpgsqlDataReader r) => new()
    {
        Category = (RecordCategory)r.GetInt16(0),
        SourceOrganisationOdsCode = r.GetString(1),
        Sensitivity = (Sensitivity)r.GetInt16(2),
        Count = checked((int)r.GetInt64(3)),
    };
}
