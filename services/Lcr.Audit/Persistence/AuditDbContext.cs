using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Lcr.Audit.Persistence;

public sealed class AuditDbContext(DbContextOptions<AuditDbContext> options) : DbContext(options)
{
    public DbSet<AuditEventRow> Events => Set<AuditEventRow>();
    public DbSet<PrivacyReviewCaseRow> Cases => Set<PrivacyReviewCaseRow>();
    public DbSet<PrivacyReviewCaseEventRow> CaseEvents => Set<PrivacyReviewCaseEventRow>();
    public DbSet<PrivacyReviewCaseChangeRow> CaseChanges => Set<PrivacyReviewCaseChangeRow>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        var e = modelBuilder.Entity<AuditEventRow>();
        e.ToTable("audit_events");
        e.HasKey(x => x.EventId);
        e.Property(x => x.IngestId).UseIdentityAlwaysColumn();
        e.HasAlternateKey(x => x.IngestId);
        e.Property(x => x.ActorId).HasMaxLength(100);
        e.Property(x => x.ActorDisplayName).HasMaxLength(200);
        e.Property(x => x.ActorOds).HasMaxLength(12);
        e.Property(x => x.ActorRoleCode).HasMaxLength(20);
        e.Property(x => x.CallingSystemId).HasMaxLength(100);
        e.Property(x => x.CallingSystemDisplayName).HasMaxLength(200);
        e.Property(x => x.CallingSystemOds).HasMaxLength(12);
        e.Property(x => x.CallingSystemRoleCode).HasMaxLength(20);
        e.Property(x => x.NhsNumber).HasMaxLength(10).IsFixedLength();
        e.Property(x => x.CareRelationshipId).HasMaxLength(100);
        e.Property(x => x.EmergencyReasonText).HasMaxLength(1000);
        e.Property(x => x.AccessTokenId).HasMaxLength(100);
        e.Property(x => x.TraceId).HasMaxLength(32);
        e.Ignore(x => x.HasAccessDetail);
        e.Property(x => x.SelfClaimRelationshipId).HasMaxLength(100);
        e.Property(x => x.SelfClaimReasonText).HasMaxLength(1000);
        e.Property(x => x.SealedBreakGlassJustification).HasMaxLength(1000);
        e.Ignore(x => x.HasPatientIdentityDetail);
        e.Property(x => x.MergedNhsNumbers).HasDefaultValueSql("'{}'::text[]");
        e.Property(x => x.SupersededNhsNumber).HasMaxLength(10).IsFixedLength();
        e.Property(x => x.CurrentNhsNumber).HasMaxLength(10).IsFixedLength();
        e.Property(x => x.SupersessionNoticeId).HasMaxLength(100);
        e.Property(x => x.AlertDetailsWithheld).HasDefaultValue(false);

        // The chain: one row per (partition, sequence). The unique index is also the
        // optimistic check that keeps two writers (two replicas) from extending a chain
        // from the same head.
        e.HasIndex(x => new { x.ChainPartition, x.ChainSequence }).IsUnique().HasDatabaseName("ux_audit_events_chain");

        // "Who has looked at my record" and "what has this professional done", newest first.
        e.HasIndex(x => new { x.NhsNumber, x.RecordTime, x.IngestId })
            .IsDescending(false, true, true).HasDatabaseName("ix_audit_events_patient");
        e.HasIndex(x => new { x.ActorId, x.RecordTime, x.IngestId })
            .IsDescending(false, true, true).HasDatabaseName("ix_audit_events_actor");

        // Privacy review scans a period (one local day at a time).
        e.HasIndex(x => x.RecordTime).HasDatabaseName("ix_audit_events_record_time");

        var c = modelBuilder.Entity<PrivacyReviewCaseRow>();
        c.ToTable("privacy_review_cases");
        c.HasKey(x => x.Id);
        c.Property(x => x.Number).UseIdentityAlwaysColumn();
        c.HasAlternateKey(x => x.Number);
        c.Property(x => x.FindingKey).HasMaxLength(300);
        c.HasIndex(x => x.FindingKey).IsUnique();
        c.Property(x => x.Explanation).HasMaxLength(1000);
        c.Property(x => x.ActorId).HasMaxLength(100);
        c.Property(x => x.ActorDisplayName).HasMaxLength(200);
        c.Property(x => x.ActorOds).HasMaxLength(12);
        c.Property(x => x.ActorRoleCode).HasMaxLength(20);
        c.Property(x => x.NhsNumber).HasMaxLength(10).IsFixedLength();
        c.Property(x => x.ResolutionNote).HasMaxLength(4000);
        c.Property(x => x.ClosedById).HasMaxLength(100);
        c.Property(x => x.ClosedByOds).HasMaxLength(12);
        c.Property(x => x.ClosedByRoleCode).HasMaxLength(20);
        c.Property(x => x.Version).IsConcurrencyToken();
        c.HasIndex(x => new { x.CreateTime }).HasDatabaseName("ix_privacy_review_cases_created");
        c.HasIndex(x => new { x.FirstEventTime }).HasDatabaseName("ix_privacy_review_cases_first_event");
        c.HasIndex(x => x.ActorId);
        c.HasIndex(x => x.NhsNumber);
        c.Property(x => x.OrganisationOds).HasMaxLength(12);
        c.HasIndex(x => new { x.OrganisationOds, x.Number }).HasDatabaseName("ix_privacy_review_cases_organisation");

        var ch = modelBuilder.Entity<PrivacyReviewCaseChangeRow>();
        ch.ToTable("privacy_review_case_changes");
        ch.HasKey(x => new { x.CaseId, x.Sequence });
        ch.Property(x => x.Note).HasMaxLength(4000);
        ch.Property(x => x.ChangedById).HasMaxLength(100);
        ch.Property(x => x.ChangedByDisplayName).HasMaxLength(200);
        ch.Property(x => x.ChangedByOds).HasMaxLength(12);
        ch.Property(x => x.ChangedByRoleCode).HasMaxLength(20);
        ch.HasOne<PrivacyReviewCaseRow>().WithMany().HasForeignKey(x => x.CaseId).OnDelete(DeleteBehavior.Restrict);

        var ce = modelBuilder.Entity<PrivacyReviewCaseEventRow>();
        ce.ToTable("privacy_review_case_events");
        ce.HasKey(x => new { x.CaseId, x.EventId });
        ce.HasOne<PrivacyReviewCaseRow>().WithMany().HasForeignKey(x => x.CaseId).OnDelete(DeleteBehavior.Restrict);
        ce.HasOne<AuditEventRow>().WithMany().HasForeignKey(x => x.EventId).OnDelete(DeleteBehavior.Restrict);
    }
}

/// <summary>Lets <c>dotnet ef migrations add</c> build the model without starting the service.</summary>
internal sealed class DesignTimeFactory : IDesignTimeDbContextFactory<AuditDbContext>
{
    public AuditDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<AuditDbContext>()
            .UseNpgsql("Host=127.0.0.1;Database=design_time_only")
            .UseSnakeCaseNamingConvention()
            .Options);
}
