using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Lcr.Consent.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class InitialCreate : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "consent_patients",
                columns: table => new
                {
                    nhs_number = table.Column<string>(type: "character(10)", fixedLength: true, maxLength: 10, nullable: false),
                    version = table.Column<long>(type: "bigint", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_consent_patients", x => x.nhs_number);
                });

            migrationBuilder.CreateTable(
                name: "consent_events",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    nhs_number = table.Column<string>(type: "character(10)", fixedLength: true, maxLength: 10, nullable: false),
                    version = table.Column<long>(type: "bigint", nullable: false),
                    kind = table.Column<int>(type: "integer", nullable: false),
                    occurred_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    actor_kind = table.Column<int>(type: "integer", nullable: false),
                    actor_id = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    actor_organisation = table.Column<string>(type: "character varying(12)", maxLength: 12, nullable: true),
                    actor_role = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: true),
                    channel = table.Column<int>(type: "integer", nullable: false),
                    reason = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: false),
                    restriction_id = table.Column<Guid>(type: "uuid", nullable: true),
                    target_kind = table.Column<int>(type: "integer", nullable: true),
                    target_value = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    end_time = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    request_id = table.Column<Guid>(type: "uuid", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_consent_events", x => x.id);
                    table.ForeignKey(
                        name: "fk_consent_events_consent_patients_nhs_number",
                        column: x => x.nhs_number,
                        principalTable: "consent_patients",
                        principalColumn: "nhs_number",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "ix_consent_events_nhs_number_request_id",
                table: "consent_events",
                columns: new[] { "nhs_number", "request_id" },
                unique: true,
                filter: "request_id IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_consent_events_nhs_number_version",
                table: "consent_events",
                columns: new[] { "nhs_number", "version" },
                unique: true);

            // The history is append-only: the current state is derived from it, so an edited or
            // deleted event would silently rewrite a patient's consent. Refuse both, and TRUNCATE.
            migrationBuilder.Sql("""
                CREATE FUNCTION consent_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    RAISE EXCEPTION 'consent_events is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
                END;
                $$;
                CREATE TRIGGER consent_events_no_update_or_delete
                    BEFORE UPDATE OR DELETE ON consent_events
                    FOR EACH ROW EXECUTE FUNCTION consent_events_append_only();
                CREATE TRIGGER consent_events_no_truncate
                    BEFORE TRUNCATE ON consent_events
                    FOR EACH STATEMENT EXECUTE FUNCTION consent_events_append_only();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS consent_events_no_truncate ON consent_events;");
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS consent_events_no_update_or_delete ON consent_events;");
            migrationBuilder.Sql("DROP FUNCTION IF EXISTS consent_events_append_only();");

            migrationBuilder.DropTable(
                name: "consent_events");

            migrationBuilder.DropTable(
                name: "consent_patients");
        }
    }
}
