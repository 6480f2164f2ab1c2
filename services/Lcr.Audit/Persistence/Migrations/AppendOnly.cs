using Microsoft.EntityFrameworkCore.Migrations;

namespace Lcr.Audit.Persistence.Migrations;

/// <summary>
/// The database half of "append-only": a NOLOGIN role the service runs as, allowed to
/// INSERT and SELECT events and nothing more, and triggers that refuse UPDATE, DELETE and
/// TRUNCATE of events (and of case links, and of closed cases) for everyone, owner included,
/// unless a superuser deliberately disables triggers.
/// </summary>
internal static class AppendOnly
{
    public static void Up(MigrationBuilder m)
    {
        // Roles are cluster-wide: create it once, tolerate a concurrent creator.
        m.Sql($"""
            DO $$
            BEGIN
              IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{AuditDataSources.WriterRole}') THEN
                CREATE ROLE {AuditDataSources.WriterRole} NOLOGIN;
              END IF;
            EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
            END $$;
            """);

        m.Sql($"""
            REVOKE ALL ON audit_events, privacy_review_cases, privacy_review_case_events FROM PUBLIC;
            GRANT USAGE ON SCHEMA public TO {AuditDataSources.WriterRole};
            GRANT SELECT, INSERT ON audit_events TO {AuditDataSources.WriterRole};
            GRANT SELECT, INSERT ON privacy_review_case_events TO {AuditDataSources.WriterRole};
            GRANT SELECT, INSERT, UPDATE (status, resolution_note, closed_by_kind, closed_by_id, closed_by_ods,
              closed_by_role_code, close_time, update_time, version) ON privacy_review_cases TO {AuditDataSources.WriterRole};
            GRANT SELECT ON "__EFMigrationsHistory" TO {AuditDataSources.WriterRole};
            GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {AuditDataSources.WriterRole};
            """);

        m.Sql("""
            CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              RAISE EXCEPTION 'audit log is append-only: % on % is not allowed', TG_OP, TG_TABLE_NAME
                USING ERRCODE = 'insufficient_privilege';
            END $$;

            CREATE TRIGGER audit_events_no_update_delete BEFORE UPDATE OR DELETE ON audit_events
              FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
            CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
              FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
            CREATE TRIGGER case_events_no_update_delete BEFORE UPDATE OR DELETE ON privacy_review_case_events
              FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
            CREATE TRIGGER case_events_no_truncate BEFORE TRUNCATE ON privacy_review_case_events
              FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

            -- A case may be concluded once; a closed case keeps its conclusion, and no case is deleted.
            CREATE FUNCTION audit_case_guard() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF TG_OP = 'DELETE' OR OLD.status <> 1 THEN
                RAISE EXCEPTION 'privacy review case % cannot be changed: %', OLD.id,
                  CASE WHEN TG_OP = 'DELETE' THEN 'cases are never deleted' ELSE 'it is closed' END
                  USING ERRCODE = 'insufficient_privilege';
              END IF;
              RETURN NEW;
            END $$;
            CREATE TRIGGER privacy_review_cases_guard BEFORE UPDATE OR DELETE ON privacy_review_cases
              FOR EACH ROW EXECUTE FUNCTION audit_case_guard();
            CREATE TRIGGER privacy_review_cases_no_truncate BEFORE TRUNCATE ON privacy_review_cases
              FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
            """);
    }

    public static void Down(MigrationBuilder m)
    {
        // Dropping the tables drops their triggers; the functions go here. The role is
        // cluster-wide and may serve other databases: it stays.
        m.Sql("""
            DROP TRIGGER IF EXISTS audit_events_no_update_delete ON audit_events;
            DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events;
            DROP TRIGGER IF EXISTS case_events_no_update_delete ON privacy_review_case_events;
            DROP TRIGGER IF EXISTS case_events_no_truncate ON privacy_review_case_events;
            DROP TRIGGER IF EXISTS privacy_review_cases_guard ON privacy_review_cases;
            DROP TRIGGER IF EXISTS privacy_review_cases_no_truncate ON privacy_review_cases;
            DROP FUNCTION IF EXISTS audit_refuse_change();
            DROP FUNCTION IF EXISTS audit_case_guard();
            """);
    }
}
