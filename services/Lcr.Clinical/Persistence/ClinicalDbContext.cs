using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Lcr.Clinical.Persistence;

public sealed class ClinicalDbContext(DbContextOptions<ClinicalDbContext> options) : DbContext(options)
{
    public DbSet<EntryRow> Entries => Set<EntryRow>();
    public DbSet<EntryVersionRow> EntryVersions => Set<EntryVersionRow>();
    public DbSet<DocumentContentRow> DocumentContents => Set<DocumentContentRow>();
    public DbSet<PatientRecordRow> PatientRecords => Set<PatientRecordRow>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        var entry = modelBuilder.Entity<EntryRow>();
        entry.ToTable("entries");
        entry.HasKey(e => e.Id);
        entry.Property(e => e.NhsNumber).HasMaxLength(10).IsFixedLength();
        entry.Property(e => e.CodeSystem).HasMaxLength(200);
        entry.Property(e => e.Code).HasMaxLength(100);
        entry.Property(e => e.CodeDisplay).HasMaxLength(500);
        entry.Property(e => e.SourceOrganisation).HasMaxLength(12);
        entry.Property(e => e.SourceSystem).HasMaxLength(100);
        entry.Property(e => e.SourceEntryId).HasMaxLength(200);
        entry.Property(e => e.RetractionReason).HasMaxLength(1000);
        entry.Property(e => e.Comment).HasMaxLength(4000);
        entry.Property(e => e.Detail).HasColumnType("jsonb");
        entry.Property(e => e.Version).IsConcurrencyToken();

        // Idempotency: one entry per (source organisation, source entry id).
        entry.HasIndex(e => new { e.SourceOrganisation, e.SourceEntryId }).IsUnique()
            .HasDatabaseName("ux_entries_source");

        // The summary (per category, newest first) and category lists: one index range scan
        // per category of one patient, already in keyset order. Retracted entries are never
        // shown, so they are not indexed.
        entry.HasIndex(e => new { e.NhsNumber, e.Category, e.ClinicalTime, e.Id })
            .IsDescending(false, false, true, true)
            .HasFilter("NOT entered_in_error")
            .HasDatabaseName("ix_entries_patient_category_time");

        // Lists across every category of one patient, in keyset order.
        entry.HasIndex(e => new { e.NhsNumber, e.ClinicalTime, e.Id })
            .IsDescending(false, true, true)
            .HasFilter("NOT entered_in_error")
            .HasDatabaseName("ix_entries_patient_time");

        entry.HasOne<DocumentContentRow>().WithMany().HasForeignKey(e => e.DocumentContentId).OnDelete(DeleteBehavior.Restrict);

        var version = modelBuilder.Entity<EntryVersionRow>();
        version.ToTable("entry_versions");
        version.HasKey(v => v.Id);
        version.Property(v => v.NhsNumber).HasMaxLength(10).IsFixedLength();
        version.Property(v => v.Snapshot).HasColumnType("jsonb");
        version.Property(v => v.ActorId).HasMaxLength(100);
        version.Property(v => v.ActorOrganisation).HasMaxLength(12);
        version.HasIndex(v => new { v.EntryId, v.Version }).IsUnique().HasDatabaseName("ux_entry_versions_entry_version");
        version.HasOne<EntryRow>().WithMany().HasForeignKey(v => v.EntryId).OnDelete(DeleteBehavior.Restrict);

        var content = modelBuilder.Entity<DocumentContentRow>();
        content.ToTable("document_contents");
        content.HasKey(c => c.Id);
        content.Property(c => c.ContentType).HasMaxLength(100);
        content.HasIndex(c => c.EntryId).HasDatabaseName("ix_document_contents_entry");

        var record = modelBuilder.Entity<PatientRecordRow>();
        record.ToTable("patient_records");
        record.HasKey(r => r.NhsNumber);
        record.Property(r => r.NhsNumber).HasMaxLength(10).IsFixedLength();
    }
}

/// <summary>Lets <c>dotnet ef migrations add</c> build the model without starting the service.</summary>
internal sealed class DesignTimeFactory : IDesignTimeDbContextFactory<ClinicalDbContext>
{
    public ClinicalDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<ClinicalDbContext>()
            .UseNpgsql("Host=127.0.0.1;Database=design_time_only")
            .UseSnakeCaseNamingConvention()
            .Options);
}
