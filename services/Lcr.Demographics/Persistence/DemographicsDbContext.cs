using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Lcr.Demographics.Persistence;

public sealed class DemographicsDbContext(DbContextOptions<DemographicsDbContext> options) : DbContext(options)
{
    public DbSet<PatientRow> Patients => Set<PatientRow>();
    public DbSet<PatientVersionRow> PatientVersions => Set<PatientVersionRow>();

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
