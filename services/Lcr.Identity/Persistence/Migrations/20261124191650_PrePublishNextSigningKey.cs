using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Lcr.Identity.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class PrePublishNextSigningKey : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "current_since",
                table: "signing_keys",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "is_next",
                table: "signing_keys",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.CreateIndex(
                name: "ux_signing_keys_one_next",
                table: "signing_keys",
                column: "is_next",
                unique: true,
                filter: "is_next");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ux_signing_keys_one_next",
                table: "signing_keys");

            migrationBuilder.DropColumn(
                name: "current_since",
                table: "signing_keys");

            migrationBuilder.DropColumn(
                name: "is_next",
                table: "signing_keys");
        }
    }
}
