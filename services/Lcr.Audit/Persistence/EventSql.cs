using Npgsql;
using NpgsqlTypes;

namespace Lcr.Audit.Persistence;

/// <summary>
/// Hand-written SQL for the hot append path and for streaming verification, where EF Core's
/// change tracking would only add cost. Column names follow the EF model (snake case).
/// </summary>
internal static class EventSql
{
    public const string Columns =
        "event_id, record_time, occurrence_time, action, outcome, denial_reason, actor_kind, actor_id, actor_display_name, " +
        "actor_ods, actor_role_code, calling_system_kind, calling_system_id, calling_system_display_name, calling_system_ods, " +
        "calling_system_role_code, nhs_number, purpose_of_use, care_relationship_id, emergency_reason_code, emergency_reason_text, " +
        "returned_categories, returned_entry_ids, access_token_id, consent_version, trace_id, match_same_person, " +
        "match_same_family_name, match_same_address, chain_partition, chain_sequence, chain_hash, previous_chain_hash, " +
        "care_relationship_kind, self_claim_relationship_id, self_claim_reason_code, self_claim_reason_text, sealed_viewer_named, " +
        "sealed_break_glass_justification, seal_reason, seal_automatic, seal_distinct_viewers, " +
        "merged_nhs_numbers, superseded_nhs_number, current_nhs_number, supersession_notice_id, alert_details_withheld, patient_death_date";

    public static readonly string Insert =
        $"INSERT INTO audit_events ({Columns}) VALUES ({string.Join(", ", Enumerable.Range(1, 48).Select(i => "$" + i))})";

    /// <summary>The head (last sequence and hash) of each chain in the array $1; NULLs for an empty chain.</summary>
    public const string Heads =
        "SELECT p, h.chain_sequence, h.chain_hash FROM unnest($1::int[]) AS p " +
        "LEFT JOIN LATERAL (SELECT chain_sequence, chain_hash FROM audit_events WHERE chain_partition = p " +
        "ORDER BY chain_sequence DESC LIMIT 1) h ON true";

    public static readonly string ByIds = $"SELECT {Columns} FROM audit_events WHERE event_id = ANY($1)";

    public const string PrimaryKey = "pk_audit_events";
    public const string ChainIndex = "ux_audit_events_chain";

    public static NpgsqlBatchCommand InsertCommand(AuditEventRow r)
    {
        var c = new NpgsqlBatchCommand(Insert);
        var p = c.Parameters;
        p.Add(new NpgsqlParameter<Guid> { TypedValue = r.EventId });
        p.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = r.RecordTime, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        p.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = r.OccurrenceTime, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        p.Add(new NpgsqlParameter<int> { TypedValue = r.Action });
        p.Add(new NpgsqlParameter<int> { TypedValue = r.Outcome });
        p.Add(new NpgsqlParameter<int> { TypedValue = r.DenialReason });
        p.Add(new NpgsqlParameter<int> { TypedValue = r.ActorKind });
        p.Add(Text(r.ActorId));
        p.Add(Text(r.ActorDisplayName));
        p.Add(Text(r.ActorOds));
        p.Add(Text(r.ActorRoleCode));
        p.Add(new NpgsqlParameter { Value = (object?)r.CallingSystemKind ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
        p.Add(Text(r.CallingSystemId));
        p.Add(Text(r.CallingSystemDisplayName));
        p.Add(Text(r.CallingSystemOds));
        p.Add(Text(r.CallingSystemRoleCode));
        p.Add(Text(r.NhsNumber));
        p.Add(new NpgsqlParameter<int> { TypedValue = r.PurposeOfUse });
        p.Add(Text(r.CareRelationshipId));
        p.Add(new NpgsqlParameter { Value = (object?)r.EmergencyReasonCode ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
        p.Add(Text(r.EmergencyReasonText));
        p.Add(new NpgsqlParameter<int[]> { TypedValue = r.ReturnedCategories, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = r.ReturnedEntryIds, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        p.Add(Text(r.AccessTokenId));
        p.Add(new NpgsqlParameter<long> { TypedValue = r.ConsentVersion });
        p.Add(Text(r.TraceId));
        p.Add(Flag(r.MatchSamePerson));
        p.Add(Flag(r.MatchSameFamilyName));
        p.Add(Flag(r.MatchSameAddress));
        p.Add(new NpgsqlParameter<int> { TypedValue = r.ChainPartition });
        p.Add(new NpgsqlParameter<long> { TypedValue = r.ChainSequence });
        p.Add(new NpgsqlParameter<byte[]> { TypedValue = r.ChainHash });
        p.Add(new NpgsqlParameter<byte[]> { TypedValue = r.PreviousChainHash });
        p.Add(Int(r.CareRelationshipKind));
        p.Add(Text(r.SelfClaimRelationshipId));
        p.Add(Int(r.SelfClaimReasonCode));
        p.Add(Text(r.SelfClaimReasonText));
        p.Add(Flag(r.SealedViewerNamed));
        p.Add(Text(r.SealedBreakGlassJustification));
        p.Add(Int(r.SealReason));
        p.Add(Flag(r.SealAutomatic));
        p.Add(Int(r.SealDistinctViewers));
        p.Add(new NpgsqlParameter<string[]> { TypedValue = r.MergedNhsNumbers, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        p.Add(Text(r.SupersededNhsNumber));
        p.Add(Text(r.CurrentNhsNumber));
        p.Add(Text(r.SupersessionNoticeId));
        p.Add(new NpgsqlParameter<bool> { TypedValue = r.AlertDetailsWithheld });
        p.Add(new NpgsqlParameter { Value = (object?)r.PatientDeathDate ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Date });
        return c;
    }

    /// <summary>Reads a row selected with <see cref="Columns"/> (in that order, from ordinal <paramref name="o"/>).</summary>
    public static AuditEventRow Read(NpgsqlDataReader d, int o = 0) => new()
    {
        EventId = d.GetGuid(o),
        RecordTime = d.GetFieldValue<DateTimeOffset>(o + 1),
        OccurrenceTime = d.GetFieldValue<DateTimeOffset>(o + 2),
        Action = d.GetInt32(o + 3),
        Outcome = d.GetInt32(o + 4),
        DenialReason = d.GetInt32(o + 5),
        ActorKind = d.GetInt32(o + 6),
        ActorId = d.GetString(o + 7),
        ActorDisplayName = Str(d, o + 8),
        ActorOds = Str(d, o + 9),
        ActorRoleCode = Str(d, o + 10),
        CallingSystemKind = d.IsDBNull(o + 11) ? null : d.GetInt32(o + 11),
        CallingSystemId = Str(d, o + 12),
        CallingSystemDisplayName = Str(d, o + 13),
        CallingSystemOds = Str(d, o + 14),
        CallingSystemRoleCode = Str(d, o + 15),
        NhsNumber = Str(d, o + 16),
        PurposeOfUse = d.GetInt32(o + 17),
        CareRelationshipId = Str(d, o + 18),
        EmergencyReasonCode = d.IsDBNull(o + 19) ? null : d.GetInt32(o + 19),
        EmergencyReasonText = Str(d, o + 20),
        ReturnedCategories = d.GetFieldValue<int[]>(o + 21),
        ReturnedEntryIds = d.GetFieldValue<string[]>(o + 22),
        AccessTokenId = Str(d, o + 23),
        ConsentVersion = d.GetInt64(o + 24),
        TraceId = Str(d, o + 25),
        MatchSamePerson = d.IsDBNull(o + 26) ? null : d.GetBoolean(o + 26),
        MatchSameFamilyName = d.IsDBNull(o + 27) ? null : d.GetBoolean(o + 27),
        MatchSameAddress = d.IsDBNull(o + 28) ? null : d.GetBoolean(o + 28),
        ChainPartition = d.GetInt32(o + 29),
        ChainSequence = d.GetInt64(o + 30),
        ChainHash = d.GetFieldValue<byte[]>(o + 31),
        PreviousChainHash = d.GetFieldValue<byte[]>(o + 32),
        CareRelationshipKind = d.IsDBNull(o + 33) ? null : d.GetInt32(o + 33),
        SelfClaimRelationshipId = Str(d, o + 34),
        SelfClaimReasonCode = d.IsDBNull(o + 35) ? null : d.GetInt32(o + 35),
        SelfClaimReasonText = Str(d, o + 36),
        SealedViewerNamed = d.IsDBNull(o + 37) ? null : d.GetBoolean(o + 37),
        SealedBreakGlassJustification = Str(d, o + 38),
        SealReason = d.IsDBNull(o + 39) ? null : d.GetInt32(o + 39),
        SealAutomatic = d.IsDBNull(o + 40) ? null : d.GetBoolean(o + 40),
        SealDistinctViewers = d.IsDBNull(o + 41) ? null : d.GetInt32(o + 41),
        MergedNhsNumbers = d.GetFieldValue<string[]>(o + 42),
        SupersededNhsNumber = Str(d, o + 43),
        CurrentNhsNumber = Str(d, o + 44),
        SupersessionNoticeId = Str(d, o + 45),
        AlertDetailsWithheld = d.GetBoolean(o + 46),
        PatientDeathDate = d.IsDBNull(o + 47) ? null : d.GetFieldValue<DateOnly>(o + 47),
    };

    private static NpgsqlParameter Text(string? value) =>
        new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };

    private static NpgsqlParameter Int(int? value) =>
        new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer };

    private static NpgsqlParameter Flag(bool? value) =>
        new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Boolean };

    private static string? Str(NpgsqlDataReader d, int i) => d.IsDBNull(i) ? null : d.GetString(i);
}
