using Microsoft.EntityFrameworkCore.Migrations;

namespace Lcr.Audit.Persistence.Migrations;

/// <summary>
/// The append-only rules for privacy alerts (issue 20): a case's history is insert-only; the
/// writer role may add an event to an open case (count, last event time); FLAGGED_FOR_INVESTIGATION
/// (4) and ESCALATED (5) are open statuses that a later decision may still change; existing
/// cases get the organisation of the professional whose access they are about.
/// </summary>
internal static class PrivacyAlertsAppendOnly
{
    public static void Up(MigrationBuilder m)
    {
        m.Sql($"""
            REVOKE ALL ON privacy_review_case_changes FROM PUBLIC;
            GRANT SELECT, INSERT ON privacy_review_case_changes TO {AuditDataSources.WriterRole};
            GRANT UPDATE (event_count, last_event_time) ON privacy_review_cases TO {AuditDataSources.WriterRole};

            CREATE TRIGGER case_changes_no_update_delete BEFORE UPDATE OR DELETE ON privacy_review_case_changes
              FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
            CREATE TRIGGER case_changes_no_truncate BEFORE TRUNCATE ON privacy_review_case_changes
              FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

            CREATE OR REPLACE FUNCTION audit_case_guard() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF TG_OP = 'DELETE' OR OLD.status NOT IN (1, 4, 5) THEN
                RAISE EXCEPTION 'privacy review case % cannot be changed: %', OLD.id,
                  CASE WHEN TG_OP = 'DELETE' THEN 'cases are never deleted' ELSE 'it is closed' END
                  USING ERRCODE = 'insufficient_privilege';
              END IF;
              RETURN NEW;
            END $$;

            ALTER TABLE privacy_review_cases DISABLE TRIGGER privacy_review_cases_guard;
            UPDATE privacy_review_cases SET organisation_ods = actor_ods WHERE organisation_ods IS NULL;
            ALTER TABLE privacy_review_cases ENABLE TRIGGER privacy_review_cases_guard;
            """);
    }

    public static void Down(MigrationBuilder m)
    {
        m.Sql($"""
            REVOKE UPDATE (event_count, last_event_time) ON privacy_review_cases FROM {AuditDataSources.WriterRole};
            CREATE OR REPLACE FUNCTION audit_case_guard() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF TG_OP = 'DELETE' OR OLD.status <> 1 THEN
                RAISE EXCEPTION 'privacy review case % cannot be changed: %', OLD.id,
                  CASE WHEN TG_OP = 'DELETE' THEN 'cases are never deleted' ELSE 'it is closed' END
                  USING ERRCODE = 'insufficient_privilege';
              END IF;
              RETURN NEW;
            END $$;
            """);
    }
}
