using System;
using System.Collections.Generic;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Lcr.Identity.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class FederatedSignInEventsAndJoiners : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "federated_provider",
                table: "role_assignments",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "federated_role_profile_id",
                table: "role_assignments",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "federated_joiners",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    provider = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    subject = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    given_name = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    family_name = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    role_profiles_json = table.Column<string>(type: "jsonb", nullable: false),
                    organisation_ods = table.Column<List<string>>(type: "text[]", nullable: false),
                    last_reason = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    first_seen = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    last_seen = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    attempts = table.Column<int>(type: "integer", nullable: false),
                    status = table.Column<int>(type: "integer", nullable: false),
                    linked_professional_id = table.Column<Guid>(type: "uuid", nullable: true),
                    resolved_by = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    resolved_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    version = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_federated_joiners", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "federated_sign_in_events",
                columns: table => new
                {
                    sequence = table.Column<long>(type: "bigint", nullable: false),
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    occurred_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    provider = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    outcome = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    failed_check = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                    subject = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    professional_id = table.Column<Guid>(type: "uuid", nullable: true),
                    role_profile_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    role_assignment_id = table.Column<Guid>(type: "uuid", nullable: true),
                    session_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    ended_role_assignment_ids = table.Column<List<Guid>>(type: "uuid[]", nullable: false),
                    previous_hash = table.Column<byte[]>(type: "bytea", nullable: false),
                    hash = table.Column<byte[]>(type: "bytea", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_federated_sign_in_events", x => x.sequence);
                });

            migrationBuilder.CreateIndex(
                name: "ix_federated_joiners_organisation_ods",
                table: "federated_joiners",
                column: "organisation_ods")
                .Annotation("Npgsql:IndexMethod", "gin");

            migrationBuilder.CreateIndex(
                name: "ix_federated_joiners_provider_subject",
                table: "federated_joiners",
                columns: new[] { "provider", "subject" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_federated_joiners_status_last_seen",
                table: "federated_joiners",
                columns: new[] { "status", "last_seen" });

            migrationBuilder.CreateIndex(
                name: "ix_federated_sign_in_events_id",
                table: "federated_sign_in_events",
                column: "id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_federated_sign_in_events_professional_id_sequence",
                table: "federated_sign_in_events",
                columns: new[] { "professional_id", "sequence" });

            migrationBuilder.CreateIndex(
                name: "ix_federated_sign_in_events_subject_sequence",
                table: "federated_sign_in_events",
                columns: new[] { "subject", "sequence" });

            // Append-only: no UPDATE, DELETE or TRUNCATE, whoever asks (the hash chain finds what bypasses this).
            migrationBuilder.Sql("""
                CREATE FUNCTION federated_sign_in_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                  RAISE EXCEPTION 'federated_sign_in_events is append-only';
                END $$;
                CREATE TRIGGER federated_sign_in_events_no_change BEFORE UPDATE OR DELETE ON federated_sign_in_events
                  FOR EACH ROW EXECUTE FUNCTION federated_sign_in_events_append_only();
                CREATE TRIGGER federated_sign_in_events_no_truncate BEFORE TRUNCATE ON federated_sign_in_events
                  FOR EACH STATEMENT EXECUTE FUNCTION federated_sign_in_events_append_only();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "federated_joiners");

            migrationBuilder.DropTable(
                name: "federated_sign_in_events");

            migrationBuilder.Sql("DROP FUNCTION IF EXISTS federated_sign_in_events_append_only();");

            migrationBuilder.DropColumn(
                name: "federated_provider",
                table: "role_assignments");

            migrationBuilder.DropColumn(
                name: "federated_role_profile_id",
                table: "role_assignments");
        }
    }
}
