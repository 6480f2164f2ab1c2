using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Lcr.Identity.Persistence;

public sealed class IdentityDbContext(DbContextOptions<IdentityDbContext> options) : DbContext(options)
{
    public DbSet<OrganisationRow> Organisations => Set<OrganisationRow>();
    public DbSet<ProfessionalRow> Professionals => Set<ProfessionalRow>();
    public DbSet<RoleAssignmentRow> RoleAssignments => Set<RoleAssignmentRow>();
    public DbSet<CareRelationshipRow> CareRelationships => Set<CareRelationshipRow>();
    public DbSet<SystemClientRow> SystemClients => Set<SystemClientRow>();
    public DbSet<SigningKeyRow> SigningKeys => Set<SigningKeyRow>();
    public DbSet<SignInThrottleRow> SignInThrottles => Set<SignInThrottleRow>();
    public DbSet<FederatedSignInEventRow> FederatedSignInEvents => Set<FederatedSignInEventRow>();
    public DbSet<FederatedJoinerRow> FederatedJoiners => Set<FederatedJoinerRow>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        var org = modelBuilder.Entity<OrganisationRow>();
        org.ToTable("organisations");
        org.HasKey(o => o.OdsCode);
        org.Property(o => o.OdsCode).HasMaxLength(10);
        org.Property(o => o.DisplayName).HasMaxLength(200);

        var pro = modelBuilder.Entity<ProfessionalRow>();
        pro.ToTable("professionals");
        pro.HasKey(p => p.Id);
        pro.Property(p => p.GivenName).HasMaxLength(100);
        pro.Property(p => p.FamilyName).HasMaxLength(100);
        pro.Property(p => p.Title).HasMaxLength(40);
        pro.Property(p => p.RegistrationNumber).HasMaxLength(20);
        pro.Property(p => p.UserName).HasMaxLength(64);
        pro.HasIndex(p => p.UserName).IsUnique();
        pro.Property(p => p.FederatedSubject).HasMaxLength(200);
        pro.HasIndex(p => p.FederatedSubject).IsUnique().HasFilter("federated_subject IS NOT NULL");
        pro.Property(p => p.PersonalNhsNumber).HasMaxLength(10).IsFixedLength();
        pro.Property(p => p.PasswordHash).HasMaxLength(200);
        pro.HasIndex(p => p.CreateRequestId).IsUnique();
        pro.Property(p => p.Version).IsConcurrencyToken();
        pro.HasIndex(p => new { p.FamilyName, p.GivenName, p.Id });
        pro.HasMany(p => p.RoleAssignments).WithOne().HasForeignKey(r => r.ProfessionalId).OnDelete(DeleteBehavior.Restrict);

        var role = modelBuilder.Entity<RoleAssignmentRow>();
        role.ToTable("role_assignments");
        role.HasKey(r => r.Id);
        role.Property(r => r.OrganisationOds).HasMaxLength(10);
        role.Property(r => r.RoleCode).HasMaxLength(20);
        role.HasOne<OrganisationRow>().WithMany().HasForeignKey(r => r.OrganisationOds).OnDelete(DeleteBehavior.Restrict);
        role.HasIndex(r => new { r.OrganisationOds, r.ProfessionalId });
        role.Property(r => r.FederatedProvider).HasMaxLength(64);
        role.Property(r => r.FederatedRoleProfileId).HasMaxLength(64);

        var rel = modelBuilder.Entity<CareRelationshipRow>();
        rel.ToTable("care_relationships");
        rel.HasKey(r => r.Id);
        rel.Property(r => r.NhsNumber).HasMaxLength(10).IsFixedLength();
        rel.Property(r => r.SubjectValue).HasMaxLength(60);
        rel.Property(r => r.SourceOrganisation).HasMaxLength(10);
        rel.Property(r => r.SourceSystem).HasMaxLength(100);
        rel.Property(r => r.SourceEntryId).HasMaxLength(100);
        rel.Property(r => r.RecordedBy).HasMaxLength(64);
        rel.Property(r => r.SelfClaimReasonText).HasMaxLength(1000);
        rel.Property(r => r.SelfClaimRoleCode).HasMaxLength(20);
        rel.HasIndex(r => new { r.SourceOrganisation, r.SourceEntryId }).IsUnique();
        // The access decision: one index range per (patient, subject).
        rel.HasIndex(r => new { r.NhsNumber, r.SubjectKind, r.SubjectValue }).HasDatabaseName("ix_care_relationships_access");

        var client = modelBuilder.Entity<SystemClientRow>();
        client.ToTable("system_clients");
        client.HasKey(c => c.ClientId);
        client.Property(c => c.ClientId).HasMaxLength(64);
        client.Property(c => c.DisplayName).HasMaxLength(200);
        client.Property(c => c.OrganisationOds).HasMaxLength(10);
        client.Property(c => c.SecretHash).HasMaxLength(200);
        client.Property(c => c.Version).IsConcurrencyToken();
        client.HasOne<OrganisationRow>().WithMany().HasForeignKey(c => c.OrganisationOds).OnDelete(DeleteBehavior.Restrict);

        var key = modelBuilder.Entity<SigningKeyRow>();
        key.ToTable("signing_keys");
        key.HasKey(k => k.Kid);
        key.Property(k => k.Kid).HasMaxLength(64);
        key.Property(k => k.X).HasMaxLength(64);
        key.Property(k => k.Y).HasMaxLength(64);
        // At most one current key, enforced by the database.
        key.HasIndex(k => k.IsCurrent).IsUnique().HasFilter("is_current").HasDatabaseName("ux_signing_keys_one_current");
        key.HasIndex(k => k.IsNext).IsUnique().HasFilter("is_next").HasDatabaseName("ux_signing_keys_one_next");
        key.HasIndex(k => k.RotationRequestId).IsUnique().HasFilter("rotation_request_id IS NOT NULL");

        var throttle = modelBuilder.Entity<SignInThrottleRow>();
        throttle.ToTable("sign_in_throttles");
        // (scope, account) is the key's prefix: an account's failing routes are one index range.
        throttle.HasKey(t => new { t.Scope, t.Account, t.Source });
        throttle.Property(t => t.Scope).HasMaxLength(8);
        throttle.Property(t => t.Account).HasMaxLength(64);
        throttle.Property(t => t.Source).HasMaxLength(64);
        throttle.HasIndex(t => t.LastFailureAt);

        // Append-only and hash-chained; the migration adds the trigger refusing UPDATE, DELETE and TRUNCATE.
        var signIn = modelBuilder.Entity<FederatedSignInEventRow>();
        signIn.ToTable("federated_sign_in_events");
        signIn.HasKey(e => e.Sequence);
        signIn.Property(e => e.Sequence).ValueGeneratedNever();
        signIn.HasIndex(e => e.Id).IsUnique();
        signIn.Property(e => e.Provider).HasMaxLength(64);
        signIn.Property(e => e.Outcome).HasMaxLength(64);
        signIn.Property(e => e.FailedCheck).HasMaxLength(32);
        signIn.Property(e => e.Subject).HasMaxLength(200);
        signIn.Property(e => e.RoleProfileId).HasMaxLength(64);
        signIn.Property(e => e.SessionId).HasMaxLength(64);
        signIn.HasIndex(e => new { e.Subject, e.Sequence });
        signIn.HasIndex(e => new { e.ProfessionalId, e.Sequence });

        var joiner = modelBuilder.Entity<FederatedJoinerRow>();
        joiner.ToTable("federated_joiners");
        joiner.HasKey(j => j.Id);
        joiner.Property(j => j.Provider).HasMaxLength(64);
        joiner.Property(j => j.Subject).HasMaxLength(200);
        joiner.HasIndex(j => new { j.Provider, j.Subject }).IsUnique();
        joiner.Property(j => j.GivenName).HasMaxLength(100);
        joiner.Property(j => j.FamilyName).HasMaxLength(100);
        joiner.Property(j => j.RoleProfilesJson).HasColumnType("jsonb");
        joiner.Property(j => j.LastReason).HasMaxLength(64);
        joiner.Property(j => j.ResolvedBy).HasMaxLength(64);
        joiner.Property(j => j.Version).IsConcurrencyToken();
        joiner.HasIndex(j => new { j.Status, j.LastSeen });
        joiner.HasIndex(j => j.OrganisationOds).HasMethod("gin");
    }
}

/// <summary>Lets <c>dotnet ef migrations add</c> build the model without starting the service.</summary>
internal sealed class DesignTimeFactory : IDesignTimeDbContextFactory<IdentityDbContext>
{
    public IdentityDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<IdentityDbContext>()
            .UseNpgsql("Host=127.0.0.1;Database=design_time_only")
            .UseSnakeCaseNamingConvention()
            .Options);
}
