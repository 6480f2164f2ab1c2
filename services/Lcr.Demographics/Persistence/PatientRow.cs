namespace Lcr.Demographics.Persistence;

/// <summary>The current demographics of one patient (one row per NHS number).</summary>
public sealed class PatientRow
{
    public Guid Id { get; set; }
    public required string NhsNumber { get; set; }
    public string? Prefix { get; set; }
    public List<string> Given { get; set; } = [];
    public required string Family { get; set; }
    public DateOnly BirthDate { get; set; }
    public int Gender { get; set; }
    public List<string> AddressLines { get; set; } = [];
    public string? Postcode { get; set; }
    public List<TelephoneValue> Telephones { get; set; } = [];
    public string? Email { get; set; }
    public string? RegisteredPracticeOds { get; set; }
    public DateOnly? DeathDate { get; set; }
    public bool Restricted { get; set; }

    /// <summary>Optimistic-concurrency version: starts at 1, +1 per change.</summary>
    public long Version { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>Search forms (see <see cref="Domain.SearchText"/>), kept in step with the names.</summary>
    public required string FamilySearch { get; set; }
    public required string GivenSearch { get; set; }
    public string? PostcodeSearch { get; set; }
}

/// <summary>A telephone number as stored (jsonb).</summary>
public sealed record TelephoneValue(int Kind, string Number);

/// <summary>One version of a patient's demographics: an immutable snapshot and who made it.</summary>
public sealed class PatientVersionRow
{
    public long Id { get; set; }
    public Guid PatientId { get; set; }
    public required string NhsNumber { get; set; }
    public long Version { get; set; }
    public int ChangeKind { get; set; }

    /// <summary>The patient as it was at this version, as protobuf JSON.</summary>
    public required string Snapshot { get; set; }
    public int ActorKind { get; set; }
    public required string ActorId { get; set; }
    public string? ActorOrganisation { get; set; }
    public string? ActorRole { get; set; }
    public DateTimeOffset ChangedAt { get; set; }
}
