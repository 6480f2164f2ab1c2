using Lcr.Consent.Domain;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Lcr.Consent.Persistence;

/// <summary>
/// Two tables: <c>consent_events</c>, the append-only history from which every state is
/// derived, and <c>consent_patients</c>, one small row per patient who has any consent
/// record, holding only their current consent version. The version row is what a writer
/// locks (serialising changes to one patient) and bumps in the same transaction as it
/// appends the event, and what every EvaluateAccess reads first: a single primary-key
/// lookup, which is the whole cost for a patient with no consent record.
/// </summary>
public sealed class ConsentDbContext(DbContextOptions<ConsentDbContext> options) : DbContext(options)
{
    public DbSet<ConsentEvent> Events => Set<ConsentEvent>();

    public DbSet<ConsentPatientRow> Patients => Set<ConsentPatientRow>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        var patient = modelBuilder.Entity<ConsentPatientRow>();
        patient.ToTable("consent_patients");
        patient.HasKey(p => p.NhsNumber);
        patient.Property(p => p.NhsNumber).HasMaxLength(10).IsFixedLength();

        var e = modelBuilder.Entity<ConsentEvent>();
        e.ToTable("consent_events");
        e.HasKey(x => x.Id);
        e.Ignore(x => x.Target);
        e.Property(x => x.NhsNumber).HasMaxLength(10).IsFixedLength();
        e.Property(x => x.Kind).HasConversion<int>();
        e.Property(x => x.TargetKind).HasConversion<int?>();
        e.Property(x => x.ActorId).HasMaxLength(100);
        e.Property(x => x.ActorOrganisation).HasMaxLength(12);
        e.Property(x => x.ActorRole).HasMaxLength(20);
        e.Property(x => x.Reason).HasMaxLength(1000);
        e.Property(x => x.TargetValue).HasMaxLength(100);
        e.Ignore(x => x.AutomaticSeal);
        e.HasIndex(x => new { x.NhsNumber, x.Version }).IsUnique();
        e.HasIndex(x => new { x.NhsNumber, x.RequestId }).IsUnique().HasFilter("request_id IS NOT NULL");
        e.HasOne<ConsentPatientRow>().WithMany().HasForeignKey(x => x.NhsNumber).OnDelete(DeleteBehavior.Restrict);
    }
}

/// <summary>A patient with a consent record and their current consent version (= the last event's version).</summary>
public sealed class ConsentPatientRow
{
    public required string NhsNumber { get; set; }

    public long Version { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>Lets <c>dotnet ef migrations add</c> build the model without starting the service.</summary>
internal sealed class DesignTimeFactory : IDesignTimeDbContextFactory<ConsentDbContext>
{
    public ConsentDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<ConsentDbContext>()
            .UseNpgsql("Host=127.0.0.1;Database=design_time_only")
            .UseSnakeCaseNamingConvention()
            .Options);
}
