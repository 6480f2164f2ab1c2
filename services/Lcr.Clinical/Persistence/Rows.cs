namespace Lcr.Clinical.Persistence;

/// <summary>
/// The current version of one entry. The category detail is kept as protobuf JSON (jsonb);
/// the fields every query filters or orders on are real columns. A document's content lives
/// in <see cref="DocumentContentRow"/>, never in this table, so reading entries never reads it.
/// </summary>
public sealed class EntryRow
{
    public Guid Id { get; set; }
    public required string NhsNumber { get; set; }

    /// <summary><c>lcr.common.v1.RecordCategory</c>.</summary>
    public short Category { get; set; }
    public required string CodeSystem { get; set; }
    public required string Code { get; set; }
    public string? CodeDisplay { get; set; }

    /// <summary><c>lcr.clinical.v1.EntryStatus</c>, derived from the detail.</summary>
    public short Status { get; set; }

    /// <summary>The clinically relevant instant used for ordering and date filters.</summary>
    public DateTimeOffset ClinicalTime { get; set; }
    public required string SourceOrganisation { get; set; }
    public required string SourceSystem { get; set; }
    public required string SourceEntryId { get; set; }

    /// <summary>Optimistic-concurrency version: 1 when created, +1 per change (retraction included).</summary>
    public long Version { get; set; }

    /// <summary>When the platform recorded the current version.</summary>
    public DateTimeOffset RecordedAt { get; set; }

    /// <summary>When the platform first recorded the entry.</summary>
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary><c>lcr.clinical.v1.Sensitivity</c> (never unspecified once stored).</summary>
    public short Sensitivity { get; set; }
    public bool EnteredInError { get; set; }
    public string? RetractionReason { get; set; }
    public string? Comment { get; set; }

    /// <summary>The category detail message (Problem, Medication, ...) as protobuf JSON.</summary>
    public required string Detail { get; set; }

    /// <summary>SHA-256 of the contributed entry in canonical form, to recognise a re-send.</summary>
    public required byte[] InputHash { get; set; }

    /// <summary>The current content of a document entry.</summary>
    public Guid? DocumentContentId { get; set; }

    /// <summary>
    /// For an alert with an end date: when it stops applying (00:00 Europe/London the day after
    /// the end date). Queries read an ACTIVE alert at or past this instant as INACTIVE.
    /// </summary>
    public DateTimeOffset? ActiveUntil { get; set; }

    /// <summary>For an alert, its <c>lcr.clinical.v1.AlertSeverity</c> (the summary lists the highest first); 0 otherwise.</summary>
    public short AlertSeverity { get; set; }
}

/// <summary>One version of an entry as it was, kept for ever (retractions included).</summary>
public sealed class EntryVersionRow
{
    public long Id { get; set; }
    public Guid EntryId { get; set; }
    public required string NhsNumber { get; set; }
    public long Version { get; set; }

    /// <summary>1 created, 2 updated, 3 retracted.</summary>
    public short ChangeKind { get; set; }

    /// <summary>The entry at this version (without document content), as protobuf JSON.</summary>
    public required string Snapshot { get; set; }
    public Guid? DocumentContentId { get; set; }
    public short ActorKind { get; set; }
    public required string ActorId { get; set; }
    public string? ActorOrganisation { get; set; }
    public DateTimeOffset RecordedAt { get; set; }
}

/// <summary>A document's content (text or binary), one row per content version.</summary>
public sealed class DocumentContentRow
{
    public Guid Id { get; set; }
    public Guid EntryId { get; set; }
    public required string ContentType { get; set; }
    public long SizeBytes { get; set; }
    public required byte[] Sha256 { get; set; }
    public required byte[] Data { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>
/// Per patient: the record version, +1 on every contribution or retraction that changes
/// the patient's record. Summaries are computed at, and cached with, this version.
/// </summary>
public sealed class PatientRecordRow
{
    public required string NhsNumber { get; set; }
    public long RecordVersion { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

public static class ChangeKinds
{
    public const short Created = 1;
    public const short Updated = 2;
    public const short Retracted = 3;
}
