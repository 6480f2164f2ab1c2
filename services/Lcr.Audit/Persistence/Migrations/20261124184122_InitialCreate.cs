using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Lcr.Audit.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class InitialCreate : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "audit_events",
                columns: table => new
                {
                    event_id = table.Column<Guid>(type: "uuid", nullable: false),
                    ingest_id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn),
                    record_time = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    occurrence_time = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    action = table.Column<int>(type: "integer", nullable: false),
                    outcome = table.Column<int>(type: "integer", nullable: false),
                    denial_reason = table.Column<int>(type: "integer", nullable: false),
                    actor_kind = table.Column<int>(type: "integer", nullable: false),
                    actor_id = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    actor_display_name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    actor_ods = table.Column<string>(type: "character varying(12)", maxLength: 12, nullable: true),
                    actor_role_code = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: true),
                    calling_system_kind = table.Column<int>(type: "integer", nullable: true),
                    calling_system_id = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    calling_system_display_name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    calling_system_ods = table.Column<string>(type: "character varying(12)", maxLength: 12, nullable: true),
                    calling_system_role_code = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: true),
                    nhs_number = table.Column<string>(type: "character(10)", fixedLength: true, maxLength: 10, nullable: true),
                    purpose_of_use = table.Column<int>(type: "integer", nullable: false),
                    care_relationship_id = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    emergency_reason_code = table.Column<int>(type: "integer", nullable: true),
                    emergency_reason_text = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: true),
                    returned_categories = table.Column<int[]>(type: "integer[]", nullable: false),
                    returned_entry_ids = table.Column<string[]>(type: "text[]", nullable: false),
                    access_token_id = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    consent_version = table.Column<long>(type: "bigint", nullable: false),
                    trace_id = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                    match_same_person = table.Column<bool>(type: "boolean", nullable: true),
                    match_same_family_name = table.Column<bool>(type: "boolean", nullable: true),
                    match_same_address = table.Column<bool>(type: "boolean", nullable: true),
                    chain_partition = table.Column<int>(type: "integer", nullable: false),
                    chain_sequence = table.Column<long>(type: "bigint", nullable: false),
                    chain_hash = table.Column<byte[]>(type: "bytea", nullable: false),
                    previous_chain_hash = table.Column<byte[]>(type: "bytea", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_audit_events", x => x.event_id);
                    table.UniqueConstraint("ak_audit_events_ingest_id", x => x.ingest_id);
                });

            migrationBuilder.CreateTable(
                name: "privacy_review_cases",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    number = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn),
                    finding_key = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: false),
                    rule = table.Column<int>(type: "integer", nullable: false),
                    severity = table.Column<int>(type: "integer", nullable: false),
                    explanation = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: false),
                    actor_kind = table.Column<int>(type: "integer", nullable: false),
                    actor_id = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    actor_display_name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    actor_ods = table.Column<string>(type: "character varying(12)", maxLength: 12, nullable: true),
                    actor_role_code = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: true),
                    nhs_number = table.Column<string>(type: "character(10)", fixedLength: true, maxLength: 10, nullable: true),
                    event_count = table.Column<int>(type: "integer", nullable: false),
                    first_event_time = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    last_event_time = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    status = table.Column<int>(type: "integer", nullable: false),
                    resolution_note = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: true),
                    closed_by_kind = table.Column<int>(type: "integer", nullable: true),
                    closed_by_id = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    closed_by_ods = table.Column<string>(type: "character varying(12)", maxLength: 12, nullable: true),
                    closed_by_role_code = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: true),
                    close_time = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    create_time = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    update_time = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    version = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_privacy_review_cases", x => x.id);
                    table.UniqueConstraint("ak_privacy_review_cases_number", x => x.number);
                });

            migrationBuilder.CreateTable(
                name: "privacy_review_case_events",
                columns: table => new
                {
                    case_id = table.Column<Guid>(type: "uuid", nullable: false),
                    event_id = table.Column<Guid>(type: "uuid", nullable: false),
                    position = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_privacy_review_case_events", x => new { x.case_id, x.event_id });
                    table.ForeignKey(
                        name: "fk_privacy_review_case_events_audit_events_event_id",
                        column: x => x.event_id,
                        principalTable: "audit_events",
                        principalColumn: "event_id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_privacy_review_case_events_privacy_review_cases_case_id",
                        column: x => x.case_id,
                        principalTable: "privacy_review_cases",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "ix_audit_events_actor",
                table: "audit_events",
                columns: new[] { "actor_id", "record_time", "ingest_id" },
                descending: new[] { false, true, true });

            migrationBuilder.CreateIndex(
                name: "ix_audit_events_patient",
                table: "audit_events",
                columns: new[] { "nhs_number", "record_time", "ingest_id" },
                descending: new[] { false, true, true });

            migrationBuilder.CreateIndex(
                name: "ix_audit_events_record_time",
                table: "audit_events",
                column: "record_time");

            migrationBuilder.CreateIndex(
                name: "ux_audit_events_chain",
                table: "audit_events",
                columns: new[] { "chain_partition", "chain_sequence" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_privacy_review_case_events_event_id",
                table: "privacy_review_case_events",
                column: "event_id");

            migrationBuilder.CreateIndex(
                name: "ix_privacy_review_cases_actor_id",
                table: "privacy_review_cases",
                column: "actor_id");

            migrationBuilder.CreateIndex(
                name: "ix_privacy_review_cases_created",
                table: "privacy_review_cases",
                column: "create_time");

            migrationBuilder.CreateIndex(
                name: "ix_privacy_review_cases_finding_key",
                table: "privacy_review_cases",
                column: "finding_key",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_privacy_review_cases_first_event",
                table: "privacy_review_cases",
                column: "first_event_time");

            migrationBuilder.CreateIndex(
                name: "ix_privacy_review_cases_nhs_number",
                table: "privacy_review_cases",
                column: "nhs_number");

            AppendOnly.Up(migrationBuilder);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            AppendOnly.Down(migrationBuilder);
            migrationBuilder.DropTable(
                name: "privacy_review_case_events");

            migrationBuilder.DropTable(
                name: "audit_events");

            migrationBuilder.DropTable(
                name: "privacy_review_cases");
        }
    }
}
