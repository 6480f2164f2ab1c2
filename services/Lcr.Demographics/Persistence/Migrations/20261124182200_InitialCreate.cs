using System;
using System.Collections.Generic;
using Lcr.Demographics.Persistence;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Lcr.Demographics.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class InitialCreate : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "patients",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    nhs_number = table.Column<string>(type: "character(10)", fixedLength: true, maxLength: 10, nullable: false),
                    prefix = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: true),
                    given = table.Column<List<string>>(type: "text[]", nullable: false),
                    family = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    birth_date = table.Column<DateOnly>(type: "date", nullable: false),
                    gender = table.Column<int>(type: "integer", nullable: false),
                    address_lines = table.Column<List<string>>(type: "text[]", nullable: false),
                    postcode = table.Column<string>(type: "character varying(8)", maxLength: 8, nullable: true),
                    telephones = table.Column<List<TelephoneValue>>(type: "jsonb", nullable: false),
                    email = table.Column<string>(type: "character varying(254)", maxLength: 254, nullable: true),
                    registered_practice_ods = table.Column<string>(type: "character varying(10)", maxLength: 10, nullable: true),
                    death_date = table.Column<DateOnly>(type: "date", nullable: true),
                    restricted = table.Column<bool>(type: "boolean", nullable: false),
                    version = table.Column<long>(type: "bigint", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    family_search = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    given_search = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    postcode_search = table.Column<string>(type: "character varying(7)", maxLength: 7, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_patients", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "patient_versions",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    patient_id = table.Column<Guid>(type: "uuid", nullable: false),
                    nhs_number = table.Column<string>(type: "character(10)", fixedLength: true, maxLength: 10, nullable: false),
                    version = table.Column<long>(type: "bigint", nullable: false),
                    change_kind = table.Column<int>(type: "integer", nullable: false),
                    snapshot = table.Column<string>(type: "jsonb", nullable: false),
                    actor_kind = table.Column<int>(type: "integer", nullable: false),
                    actor_id = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    actor_organisation = table.Column<string>(type: "character varying(12)", maxLength: 12, nullable: true),
                    actor_role = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: true),
                    changed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_patient_versions", x => x.id);
                    table.ForeignKey(
                        name: "fk_patient_versions_patients_patient_id",
                        column: x => x.patient_id,
                        principalTable: "patients",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "ix_patient_versions_nhs_number_version",
                table: "patient_versions",
                columns: new[] { "nhs_number", "version" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_patient_versions_patient_id",
                table: "patient_versions",
                column: "patient_id");

            migrationBuilder.CreateIndex(
                name: "ix_patients_nhs_number",
                table: "patients",
                column: "nhs_number",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_patients_trace",
                table: "patients",
                columns: new[] { "family_search", "birth_date", "given_search", "nhs_number" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "patient_versions");

            migrationBuilder.DropTable(
                name: "patients");
        }
    }
}
