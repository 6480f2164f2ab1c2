namespace Lcr.Consent.Domain;

/// <summary>
/// One entry of a patient's consent history: an opt-out recorded or withdrawn, a restriction
/// added or removed, the record sealed or unsealed, an enhanced review of the patient-facing
/// access log started or completed. Events are appended, never updated or deleted (a database trigger
/// refuses both); the patient's current consent state is derived by folding them in version
/// order (<see cref="ConsentLedger"/>).
/// </summary>
public sealed class ConsentEvent
{
    public long Id { get; set; }

    public required string NhsNumber { get; set; }

    /// <summary>The patient's consent version this event produced: 1, 2, 3, ... per patient.</summary>
    public long Version { get; set; }

    public ChangeKind Kind { get; set; }

    public DateTimeOffset OccurredAt { get; set; }

    /// <summary>Who recorded the change (values of <c>lcr.common.v1.ActorKind</c>).</summary>
    public int ActorKind { get; set; }

    public required string ActorId { get; set; }

    public string? ActorOrganisation { get; set; }

    public string? ActorRole { get; set; }

    /// <summary>How the patient expressed it (values of <c>lcr.consent.v1.ConsentChannel</c>).</summary>
    public int Channel { get; set; }

    public required string Reason { get; set; }

    /// <summary>The restriction added or removed; null for opt-out events.</summary>
    public Guid? RestrictionId { get; set; }

    /// <summary>What an added restriction does; null except on <see cref="ChangeKind.RestrictionAdded"/>.</summary>
    public TargetKind? TargetKind { get; set; }

    /// <summary>The restriction's subject (see <see cref="RestrictionTarget"/>); null except on additions.</summary>
    public string? TargetValue { get; set; }

    /// <summary>When an added restriction stops applying (exclusive); null for "until removed".</summary>
    public DateTimeOffset? EndTime { get; set; }

    /// <summary>The caller's idempotency key of an AddRestriction call.</summary>
    public Guid? RequestId { get; set; }

    /// <summary>Why the record was sealed (values of <c>lcr.common.v1.SealReason</c>); null except on <see cref="ChangeKind.RecordSealed"/>.</summary>
    public int? SealReason { get; set; }

    /// <summary>The professionals (lower-case UUIDs) named on a seal; null except on <see cref="ChangeKind.RecordSealed"/>.</summary>
    public string[]? SealProfessionalIds { get; set; }

    /// <summary>The teams ("ODS:TEAM", upper case) named on a seal; null except on <see cref="ChangeKind.RecordSealed"/>.</summary>
    public string[]? SealTeamIds { get; set; }

    /// <summary>When a seal should be reviewed; null except on <see cref="ChangeKind.RecordSealed"/>.</summary>
    public DateTimeOffset? SealReviewTime { get; set; }

    /// <summary>True for a seal the platform placed after a view surge (reason VIEW_SURGE).</summary>
    public bool AutomaticSeal => SealReason == (int)Lcr.Common.V1.SealReason.ViewSurge;

    public RestrictionTarget? Target =>
        TargetKind is { } kind ? new RestrictionTarget(kind, TargetValue ?? string.Empty) : null;
}

/// <summary>The kinds of consent change; the numbers are those of <c>lcr.consent.v1.ConsentChangeKind</c>.</summary>
public enum ChangeKind
{
    OptOutRecorded = 1,
    OptOutWithdrawn = 2,
    RestrictionAdded = 3,
    RestrictionRemoved = 4,
    RecordSealed = 5,
    RecordUnsealed = 6,
    AccessLogReviewStarted = 7,
    AccessLogReviewCompleted = 8,
}
