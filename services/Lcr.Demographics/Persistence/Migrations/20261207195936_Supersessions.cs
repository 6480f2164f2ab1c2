using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Lcr.Demographics.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class Supersessions : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "supersessions",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    seq = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    notice_id = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    superseded_nhs_number = table.Column<string>(type: "character(10)", fixedLength: true, maxLength: 10, nullable: false),
                    nhs_number = table.Column<string>(type: "character(10)", fixedLength: true, maxLength: 10, nullable: false),
                    effective_time = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    record_time = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    reported_by_kind = table.Column<int>(type: "integer", nullable: false),
                    reported_by_id = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    reported_by_organisation = table.Column<string>(type: "character varying(12)", maxLength: 12, nullable: true),
                    reported_by_role = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: true),
                    state = table.Column<int>(type: "integer", nullable: false),
                    withdrawal_notice_id = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    withdraw_time = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    withdrawn_by_kind = table.Column<int>(type: "integer", nullable: true),
                    withdrawn_by_id = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    withdrawn_by_organisation = table.Column<string>(type: "character varying(12)", maxLength: 12, nullable: true),
                    withdrawn_by_role = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_supersessions", x => x.id);
                    table.CheckConstraint("ck_supersessions_state", "(state = 1 AND withdrawal_notice_id IS NULL AND withdraw_time IS NULL) OR (state = 2 AND withdrawal_notice_id IS NOT NULL AND withdraw_time IS NOT NULL)");
                    table.CheckConstraint("ck_supersessions_two_numbers", "superseded_nhs_number <> nhs_number");
                });

            migrationBuilder.CreateIndex(
                name: "ix_supersessions_active_by",
                table: "supersessions",
                column: "nhs_number",
                filter: "state = 1");

            migrationBuilder.CreateIndex(
                name: "ix_supersessions_by_seq",
                table: "supersessions",
                columns: new[] { "nhs_number", "seq" });

            migrationBuilder.CreateIndex(
                name: "ix_supersessions_notice_id",
                table: "supersessions",
                column: "notice_id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_supersessions_superseded_seq",
                table: "supersessions",
                columns: new[] { "superseded_nhs_number", "seq" });

            migrationBuilder.CreateIndex(
                name: "ix_supersessions_withdrawal_notice_id",
                table: "supersessions",
                column: "withdrawal_notice_id",
                unique: true,
                filter: "withdrawal_notice_id IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ux_supersessions_active_superseded",
                table: "supersessions",
                column: "superseded_nhs_number",
                unique: true,
                filter: "state = 1");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "supersessions");
        }
    }
}
