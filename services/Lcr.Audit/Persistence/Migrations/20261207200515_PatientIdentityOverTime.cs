using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Lcr.Audit.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class PatientIdentityOverTime : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "alert_details_withheld",
                table: "audit_events",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<string>(
                name: "current_nhs_number",
                table: "audit_events",
                type: "character(10)",
                fixedLength: true,
                maxLength: 10,
                nullable: true);

            migrationBuilder.AddColumn<string[]>(
                name: "merged_nhs_numbers",
                table: "audit_events",
                type: "text[]",
                nullable: false,
                defaultValueSql: "'{}'::text[]");

            migrationBuilder.AddColumn<DateOnly>(
                name: "patient_death_date",
                table: "audit_events",
                type: "date",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "superseded_nhs_number",
                table: "audit_events",
                type: "character(10)",
                fixedLength: true,
                maxLength: 10,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "supersession_notice_id",
                table: "audit_events",
                type: "character varying(100)",
                maxLength: 100,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "alert_details_withheld",
                table: "audit_events");

            migrationBuilder.DropColumn(
                name: "current_nhs_number",
                table: "audit_events");

            migrationBuilder.DropColumn(
                name: "merged_nhs_numbers",
                table: "audit_events");

            migrationBuilder.DropColumn(
                name: "patient_death_date",
                table: "audit_events");

            migrationBuilder.DropColumn(
                name: "superseded_nhs_number",
                table: "audit_events");

            migrationBuilder.DropColumn(
                name: "supersession_notice_id",
                table: "audit_events");
        }
    }
}
