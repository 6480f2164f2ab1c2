using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Lcr.Consent.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class SealsAndAccessLogReview : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string[]>(
                name: "seal_professional_ids",
                table: "consent_events",
                type: "text[]",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "seal_reason",
                table: "consent_events",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "seal_review_time",
                table: "consent_events",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string[]>(
                name: "seal_team_ids",
                table: "consent_events",
                type: "text[]",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "seal_professional_ids",
                table: "consent_events");

            migrationBuilder.DropColumn(
                name: "seal_reason",
                table: "consent_events");

            migrationBuilder.DropColumn(
                name: "seal_review_time",
                table: "consent_events");

            migrationBuilder.DropColumn(
                name: "seal_team_ids",
                table: "consent_events");
        }
    }
}
