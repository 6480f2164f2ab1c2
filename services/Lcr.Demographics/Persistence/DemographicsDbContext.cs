using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Lcr.Demographics.Persistence;

public sealed class DemographicsDbContext(DbContextOptions<DemographicsDbContext> options) : DbContext(options)
{
    public DbSet<PatientRow> Patients => Set<PatientRow>();
    public DbSet<PatientVersionRow> PatientVersions => Set<PatientVersionRow>();
    public DbSet<SupersessionRow> Supersessions => Set<SupersessionRow>();

    /// <summary><c>SUPERSESSION_STATE_ACTIVE</c> as stored.</summary>
    public const int ActiveState = 1;

    /// <summary><c>SUPERSESSION_STATE_WITHDRAWN</c> as stored.</summary>
    public const int WithdrawnState = 2;

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        var patient = modelBuilder.Entity<PatientRow>();
        patient.ToTable("patients");
        patient.HasKey(p => p.Id);
        patient.Property(p => p.NhsNumber).HasMaxLength(10).IsFixedLength();
        patient.HasIndex(p => p.NhsNumber).IsUnique();
        patient.Property(p => p.Prefix).HasMaxLength(40);
        patient.Property(p => p.Family).HasMaxLength(100);
        patient.Property(p => p.Postcode).HasMaxLength(8);
        patient.Property(p => p.Email).HasMaxLength(254);
        patient.Property(p => p.RegisteredPracticeOds).HasMaxLength(10);
        patient.Property(p => p.Telephones).HasColumnType("jsonb");
        patient.Property(p => p.Version).IsConcurrencyToken();
        patient.Property(p => p.FamilySearch).HasMaxLength(100);
        patient.Property(p => p.GivenSearch).HasMaxLength(100);
        patient.Property(p => p.PostcodeSearch).HasMaxLength(7);

        // The trace: family name + date of birth, then the keyset order of the results
        // (first given name, NHS number), so a search at a million patients is one index
        // range scan and every page continues from the same index.
        patient.HasIndex(p => new { p.FamilySearch, p.BirthDate, p.GivenSearch, p.NhsNumber })
            .HasDatabaseName("ix_patients_trace");

        var version = modelBuilder.Entity<PatientVersionRow>();
        version.ToTable("patient_versions");
        version.HasKey(v => v.Id);
        version.Property(v => v.NhsNumber).HasMaxLength(10).IsFixedLength();
        version.Property(v => v.Snapshot).HasColumnType("jsonb");
        version.Property(v => v.ActorId).HasMaxLength(100);
        version.Property(v => v.ActorOrganisation).HasMaxLength(12);
        version.Property(v => v.ActorRole).HasMaxLength(20);
        version.HasIndex(v => new { v.NhsNumber, v.Version }).IsUnique();
        version.HasOne<PatientRow>().WithMany().HasForeignKey(v => v.PatientId).OnDelete(DeleteBehavior.Restrict);

        var s = modelBuilder.Entity<SupersessionRow>();
        s.ToTable("supersessions", t =>
        {
            t.HasCheckConstraint("ck_supersessions_two_numbers", "superseded_nhs_number <> nhs_number");
            t.HasCheckConstraint("ck_supersessions_state",
                "(state = 1 AND withdrawal_notice_id IS NULL AND withdraw_time IS NULL) OR " +
                "(state = 2 AND withdrawal_notice_id IS NOT NULL AND withdraw_time IS NOT NULL)");
        });
        s.HasKey(x => x.Id);
        s.Property(x => x.Seq).UseIdentityByDefaultColumn();
        s.Property(x => x.NoticeId).HasMaxLength(100);
        s.Property(x => x.SupersededNhsNumber).HasMaxLength(10).IsFixedLength();
        s.Property(x => x.NhsNumber).HasMaxLength(10).IsFixedLength();
        s.Property(x => x.ReportedById).HasMaxLength(100);
        s.Property(x => x.ReportedByOrganisation).HasMaxLength(12);
        s.Property(x => x.ReportedByRole).HasMaxLength(20);
        s.Property(x => x.WithdrawalNoticeId).HasMaxLength(100);
        s.Property(x => x.WithdrawnById).HasMaxLength(100);
        s.Property(x => x.WithdrawnByOrganisation).HasMaxLength(12);
        s.Property(x => x.WithdrawnByRole).HasMaxLength(20);
        s.HasIndex(x => x.NoticeId).IsUnique();
        s.HasIndex(x => x.WithdrawalNoticeId).IsUnique().HasFilter("withdrawal_notice_id IS NOT NULL");

        // A number has at most one standing supersession as the superseded side; this index is
        // also the forward step of every resolution ("what supersedes this number now?").
        s.HasIndex(x => x.SupersededNhsNumber).IsUnique().HasFilter("state = 1")
            .HasDatabaseName("ux_supersessions_active_superseded");

        // The backward step of a resolution ("what is merged into this number?").
        s.HasIndex(x => x.NhsNumber).HasFilter("state = 1").HasDatabaseName("ix_supersessions_active_by");

        // ListSupersessions: either side, newest first (a BitmapOr of the two).
        s.HasIndex(x => new { x.SupersededNhsNumber, x.Seq }).HasDatabaseName("ix_supersessions_superseded_seq");
        s.HasIndex(x => new { x.NhsNumber, x.Seq }).HasDatabaseName("ix_supersessions_by_seq");
    }
}

/// <summary>Lets <c>dotnet ef migrations add</c> build the model without starting the service.</summary>
internal sealed class DesignTimeFactory : IDesignTimeDbContextFactory<DemographicsDbContext>
{
    public DemographicsDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<DemographicsDbContext>()
            .UseNpgsql("Host=127.0.0.1;Database=design_time_only")
            .UseSnakeCaseNamingConvention()
            .Options);
}
