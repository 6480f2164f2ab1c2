using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Lcr.Audit.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class PrivacyAlerts : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "organisation_ods",
                table: "privacy_review_cases",
                type: "character varying(12)",
                maxLength: 12,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "origin",
                table: "privacy_review_cases",
                type: "integer",
                nullable: false,
                defaultValue: 2); // PRIVACY_ALERT_ORIGIN_REVIEW_RUN: every case before this migration came from a review run

            migrationBuilder.AddColumn<int>(
                name: "care_relationship_kind",
                table: "audit_events",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "seal_automatic",
                table: "audit_events",
                type: "boolean",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "seal_distinct_viewers",
                table: "audit_events",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "seal_reason",
                table: "audit_events",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "sealed_break_glass_justification",
                table: "audit_events",
                type: "character varying(1000)",
                maxLength: 1000,
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "sealed_viewer_named",
                table: "audit_events",
                type: "boolean",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "self_claim_reason_code",
                table: "audit_events",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "self_claim_reason_text",
                table: "audit_events",
                type: "character varying(1000)",
                maxLength: 1000,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "self_claim_relationship_id",
                table: "audit_events",
                type: "character varying(100)",
                maxLength: 100,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "privacy_review_case_changes",
                columns: table => new
                {
                    case_id = table.Column<Guid>(type: "uuid", nullable: false),
                    sequence = table.Column<int>(type: "integer", nullable: false),
                    status = table.Column<int>(type: "integer", nullable: false),
                    note = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: true),
                    changed_by_kind = table.Column<int>(type: "integer", nullable: false),
                    changed_by_id = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    changed_by_display_name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    changed_by_ods = table.Column<string>(type: "character varying(12)", maxLength: 12, nullable: true),
                    changed_by_role_code = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: true),
                    change_time = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_privacy_review_case_changes", x => new { x.case_id, x.sequence });
                    table.ForeignKey(
                        name: "fk_privacy_review_case_changes_privacy_review_cases_case_id",
                        column: x => x.case_id,
                        principalTable: "privacy_review_cases",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "ix_privacy_review_cases_organisation",
                table: "privacy_review_cases",
                columns: new[] { "organisation_ods", "number" });

            PrivacyAlertsAppendOnly.Up(migrationBuilder);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            PrivacyAlertsAppendOnly.Down(migrationBuilder);

            migrationBuilder.DropTable(
                name: "privacy_review_case_changes");

            migrationBuilder.DropIndex(
                name: "ix_privacy_review_cases_organisation",
                table: "privacy_review_cases");

            migrationBuilder.DropColumn(
                name: "organisation_ods",
                table: "privacy_review_cases");

            migrationBuilder.DropColumn(
                name: "origin",
                table: "privacy_review_cases");

            migrationBuilder.DropColumn(
                name: "care_relationship_kind",
                table: "audit_events");

            migrationBuilder.DropColumn(
                name: "seal_automatic",
                table: "audit_events");

            migrationBuilder.DropColumn(
                name: "seal_distinct_viewers",
                table: "audit_events");

            migrationBuilder.DropColumn(
                name: "seal_reason",
                table: "audit_events");

            migrationBuilder.DropColumn(
                name: "sealed_break_glass_justification",
                table: "audit_events");

            migrationBuilder.DropColumn(
                name: "sealed_viewer_named",
                table: "audit_events");

            migrationBuilder.DropColumn(
                name: "self_claim_reason_code",
                table: "audit_events");

            migrationBuilder.DropColumn(
                name: "self_claim_reason_text",
                table: "audit_events");

            migrationBuilder.DropColumn(
                name: "self_claim_relationship_id",
                table: "audit_events");
        }
    }
}
