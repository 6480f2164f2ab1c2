using Lcr.Audit.Application;
using Lcr.Audit.Domain;
using Lcr.Audit.V1;
using Npgsql;
using NpgsqlTypes;

namespace Lcr.Audit.Persistence;

/// <summary>
/// Raises a privacy alert in the same implicit transaction as the events (the writer's batch):
/// a new open case under the alert's key, or, when the key already has an open case (a later
/// event of the same access token), the event added to it. A closed case is left as concluded.
/// </summary>
internal static class AlertSql
{
    private static readonly string OpenStatuses = string.Join(", ", CaseTransitions.OpenStatusValues);

    public static readonly string Raise =
        "WITH c AS (INSERT INTO privacy_review_cases (id, finding_key, rule, severity, explanation, actor_kind, actor_id, " +
        "actor_display_name, actor_ods, actor_role_code, nhs_number, event_count, first_event_time, last_event_time, status, " +
        "create_time, update_time, version, organisation_ods, origin) " +
        $"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1, $12, $12, {(int)PrivacyReviewCaseStatus.Open}, $12, $12, 1, $9, " +
        $"{(int)PrivacyAlertOrigin.RaisedAtAccess}) " +
        "ON CONFLICT (finding_key) DO UPDATE SET event_count = privacy_review_cases.event_count + 1, " +
        "last_event_time = GREATEST(privacy_review_cases.last_event_time, EXCLUDED.last_event_time), " +
        "update_time = EXCLUDED.update_time, version = privacy_review_cases.version + 1 " +
        $"WHERE privacy_review_cases.status IN ({OpenStatuses}) " +
        "RETURNING id, event_count) " +
        "INSERT INTO privacy_review_case_events (case_id, event_id, position) " +
        $"SELECT id, $13, event_count - 1 FROM c WHERE event_count <= {PrivacyReview.MaxEventsPerCase}";

    public static NpgsqlBatchCommand RaiseCommand(AuditEventRow e, RaisedAlert alert)
    {
        var c = new NpgsqlBatchCommand(Raise);
        var p = c.Parameters;
        p.Add(new NpgsqlParameter<Guid> { TypedValue = Guid.CreateVersion7() });
        p.Add(Text(alert.Key));
        p.Add(new NpgsqlParameter<int> { TypedValue = (int)alert.Rule });
        p.Add(new NpgsqlParameter<int> { TypedValue = (int)alert.Severity });
        p.Add(Text(alert.Explanation));
        p.Add(new NpgsqlParameter<int> { TypedValue = e.ActorKind });
        p.Add(Text(e.ActorId));
        p.Add(Text(e.ActorDisplayName));
        p.Add(Text(e.ActorOds));
        p.Add(Text(e.ActorRoleCode));
        p.Add(Text(e.NhsNumber));
        p.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = e.RecordTime, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        p.Add(new NpgsqlParameter<Guid> { TypedValue = e.EventId });
        return c;
    }

    private static NpgsqlParameter Text(string? value) =>
        new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };
}
