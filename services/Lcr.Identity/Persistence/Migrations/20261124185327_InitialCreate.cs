using System;
using System.Collections.Generic;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Lcr.Identity.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class InitialCreate : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "care_relationships",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    nhs_number = table.Column<string>(type: "character(10)", fixedLength: true, maxLength: 10, nullable: false),
                    kind = table.Column<int>(type: "integer", nullable: false),
                    subject_kind = table.Column<int>(type: "integer", nullable: false),
                    subject_value = table.Column<string>(type: "character varying(60)", maxLength: 60, nullable: false),
                    start_time = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    end_time = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    source_organisation = table.Column<string>(type: "character varying(10)", maxLength: 10, nullable: false),
                    source_system = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    source_entry_id = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    recorded_by = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    recorded_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_care_relationships", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "organisations",
                columns: table => new
                {
                    ods_code = table.Column<string>(type: "character varying(10)", maxLength: 10, nullable: false),
                    display_name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    kind = table.Column<int>(type: "integer", nullable: false),
                    active = table.Column<bool>(type: "boolean", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_organisations", x => x.ods_code);
                });

            migrationBuilder.CreateTable(
                name: "professionals",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    given_name = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    family_name = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    title = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: true),
                    registration_body = table.Column<int>(type: "integer", nullable: true),
                    registration_number = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: true),
                    user_name = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    federated_subject = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    personal_nhs_number = table.Column<string>(type: "character(10)", fixedLength: true, maxLength: 10, nullable: true),
                    team_ids = table.Column<List<string>>(type: "text[]", nullable: false),
                    active = table.Column<bool>(type: "boolean", nullable: false),
                    password_hash = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    failed_sign_ins = table.Column<int>(type: "integer", nullable: false),
                    locked_until = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    security_stamp = table.Column<Guid>(type: "uuid", nullable: false),
                    create_request_id = table.Column<Guid>(type: "uuid", nullable: false),
                    version = table.Column<long>(type: "bigint", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_professionals", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "signing_keys",
                columns: table => new
                {
                    kid = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    x = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    y = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    private_key_encrypted = table.Column<byte[]>(type: "bytea", nullable: true),
                    is_current = table.Column<bool>(type: "boolean", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    retired_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    not_after = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    rotation_request_id = table.Column<Guid>(type: "uuid", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_signing_keys", x => x.kid);
                });

            migrationBuilder.CreateTable(
                name: "system_clients",
                columns: table => new
                {
                    client_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    display_name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    organisation_ods = table.Column<string>(type: "character varying(10)", maxLength: 10, nullable: false),
                    scopes = table.Column<List<string>>(type: "text[]", nullable: false),
                    active = table.Column<bool>(type: "boolean", nullable: false),
                    secret_hash = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    secret_updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    version = table.Column<long>(type: "bigint", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_system_clients", x => x.client_id);
                    table.ForeignKey(
                        name: "fk_system_clients_organisations_organisation_ods",
                        column: x => x.organisation_ods,
                        principalTable: "organisations",
                        principalColumn: "ods_code",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "role_assignments",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    professional_id = table.Column<Guid>(type: "uuid", nullable: false),
                    organisation_ods = table.Column<string>(type: "character varying(10)", maxLength: 10, nullable: false),
                    role_code = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    start_time = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    end_time = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_role_assignments", x => x.id);
                    table.ForeignKey(
                        name: "fk_role_assignments_organisations_organisation_ods",
                        column: x => x.organisation_ods,
                        principalTable: "organisations",
                        principalColumn: "ods_code",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_role_assignments_professionals_professional_id",
                        column: x => x.professional_id,
                        principalTable: "professionals",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "ix_care_relationships_access",
                table: "care_relationships",
                columns: new[] { "nhs_number", "subject_kind", "subject_value" });

            migrationBuilder.CreateIndex(
                name: "ix_care_relationships_source_organisation_source_entry_id",
                table: "care_relationships",
                columns: new[] { "source_organisation", "source_entry_id" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_professionals_create_request_id",
                table: "professionals",
                column: "create_request_id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_professionals_family_name_given_name_id",
                table: "professionals",
                columns: new[] { "family_name", "given_name", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_professionals_federated_subject",
                table: "professionals",
                column: "federated_subject",
                unique: true,
                filter: "federated_subject IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_professionals_user_name",
                table: "professionals",
                column: "user_name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_role_assignments_organisation_ods_professional_id",
                table: "role_assignments",
                columns: new[] { "organisation_ods", "professional_id" });

            migrationBuilder.CreateIndex(
                name: "ix_role_assignments_professional_id",
                table: "role_assignments",
                column: "professional_id");

            migrationBuilder.CreateIndex(
                name: "ix_signing_keys_rotation_request_id",
                table: "signing_keys",
                column: "rotation_request_id",
                unique: true,
                filter: "rotation_request_id IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ux_signing_keys_one_current",
                table: "signing_keys",
                column: "is_current",
                unique: true,
                filter: "is_current");

            migrationBuilder.CreateIndex(
                name: "ix_system_clients_organisation_ods",
                table: "system_clients",
                column: "organisation_ods");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "care_relationships");

            migrationBuilder.DropTable(
                name: "role_assignments");

            migrationBuilder.DropTable(
                name: "signing_keys");

            migrationBuilder.DropTable(
                name: "system_clients");

            migrationBuilder.DropTable(
                name: "professionals");

            migrationBuilder.DropTable(
                name: "organisations");
        }
    }
}
