using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Lcr.Clinical.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class InitialCreate : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "document_contents",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    entry_id = table.Column<Guid>(type: "uuid", nullable: false),
                    content_type = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    size_bytes = table.Column<long>(type: "bigint", nullable: false),
                    sha256 = table.Column<byte[]>(type: "bytea", nullable: false),
                    data = table.Column<byte[]>(type: "bytea", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_document_contents", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "patient_records",
                columns: table => new
                {
                    nhs_number = table.Column<string>(type: "character(10)", fixedLength: true, maxLength: 10, nullable: false),
                    record_version = table.Column<long>(type: "bigint", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_patient_records", x => x.nhs_number);
                });

            migrationBuilder.CreateTable(
                name: "entries",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    nhs_number = table.Column<string>(type: "character(10)", fixedLength: true, maxLength: 10, nullable: false),
                    category = table.Column<short>(type: "smallint", nullable: false),
                    code_system = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    code = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    code_display = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    status = table.Column<short>(type: "smallint", nullable: false),
                    clinical_time = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    source_organisation = table.Column<string>(type: "character varying(12)", maxLength: 12, nullable: false),
                    source_system = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    source_entry_id = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    version = table.Column<long>(type: "bigint", nullable: false),
                    recorded_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    sensitivity = table.Column<short>(type: "smallint", nullable: false),
                    entered_in_error = table.Column<bool>(type: "boolean", nullable: false),
                    retraction_reason = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: true),
                    comment = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: true),
                    detail = table.Column<string>(type: "jsonb", nullable: false),
                    input_hash = table.Column<byte[]>(type: "bytea", nullable: false),
                    document_content_id = table.Column<Guid>(type: "uuid", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_entries", x => x.id);
                    table.ForeignKey(
                        name: "fk_entries_document_contents_document_content_id",
                        column: x => x.document_content_id,
                        principalTable: "document_contents",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "entry_versions",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    entry_id = table.Column<Guid>(type: "uuid", nullable: false),
                    nhs_number = table.Column<string>(type: "character(10)", fixedLength: true, maxLength: 10, nullable: false),
                    version = table.Column<long>(type: "bigint", nullable: false),
                    change_kind = table.Column<short>(type: "smallint", nullable: false),
                    snapshot = table.Column<string>(type: "jsonb", nullable: false),
                    document_content_id = table.Column<Guid>(type: "uuid", nullable: true),
                    actor_kind = table.Column<short>(type: "smallint", nullable: false),
                    actor_id = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    actor_organisation = table.Column<string>(type: "character varying(12)", maxLength: 12, nullable: true),
                    recorded_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_entry_versions", x => x.id);
                    table.ForeignKey(
                        name: "fk_entry_versions_entries_entry_id",
                        column: x => x.entry_id,
                        principalTable: "entries",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "ix_document_contents_entry",
                table: "document_contents",
                column: "entry_id");

            migrationBuilder.CreateIndex(
                name: "ix_entries_document_content_id",
                table: "entries",
                column: "document_content_id");

            migrationBuilder.CreateIndex(
                name: "ix_entries_patient_category_time",
                table: "entries",
                columns: new[] { "nhs_number", "category", "clinical_time", "id" },
                descending: new[] { false, false, true, true },
                filter: "NOT entered_in_error");

            migrationBuilder.CreateIndex(
                name: "ix_entries_patient_time",
                table: "entries",
                columns: new[] { "nhs_number", "clinical_time", "id" },
                descending: new[] { false, true, true },
                filter: "NOT entered_in_error");

            migrationBuilder.CreateIndex(
                name: "ux_entries_source",
                table: "entries",
                columns: new[] { "source_organisation", "source_entry_id" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ux_entry_versions_entry_version",
                table: "entry_versions",
                columns: new[] { "entry_id", "version" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "entry_versions");

            migrationBuilder.DropTable(
                name: "patient_records");

            migrationBuilder.DropTable(
                name: "entries");

            migrationBuilder.DropTable(
                name: "document_contents");
        }
    }
}
