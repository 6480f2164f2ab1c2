using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Lcr.Identity.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class SelfClaimedCareRelationships : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "self_claims_disabled",
                table: "organisations",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<int>(
                name: "self_claim_reason",
                table: "care_relationships",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "self_claim_reason_text",
                table: "care_relationships",
                type: "character varying(1000)",
                maxLength: 1000,
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "self_claim_role_assignment_id",
                table: "care_relationships",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "self_claim_role_code",
                table: "care_relationships",
                type: "character varying(20)",
                maxLength: 20,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "self_claims_disabled",
                table: "organisations");

            migrationBuilder.DropColumn(
                name: "self_claim_reason",
                table: "care_relationships");

            migrationBuilder.DropColumn(
                name: "self_claim_reason_text",
                table: "care_relationships");

            migrationBuilder.DropColumn(
                name: "self_claim_role_assignment_id",
                table: "care_relationships");

            migrationBuilder.DropColumn(
                name: "self_claim_role_code",
                table: "care_relationships");
        }
    }
}
