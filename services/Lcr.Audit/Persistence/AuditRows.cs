namespace Lcr.Audit.Persistence;

/// <summary>
/// One audit event as stored: append-only (no UPDATE or DELETE grant for the service's
/// role, and triggers refuse both), hash-chained within its partition.
/// </summary>
public sealed class AuditEventRow
{
    /// <summary>Database insertion order; a tiebreak for paging only, not part of the hashed content.</summary>
    public long IngestId { get; set; }
    public Guid EventId { get; set; }
    public DateTimeOffset RecordTime { get; set; }
    public DateTimeOffset OccurrenceTime { get; set; }
    public int Action { get; set; }
    public int Outcome { get; set; }
    public int DenialReason { get; set; }
    public int ActorKind { get; set; }
    public required string ActorId { get; set; }
    public string? ActorDisplayName { get; set; }
    public string? ActorOds { get; set; }
    public string? ActorRoleCode { get; set; }
    public int? CallingSystemKind { get; set; }
    public string? CallingSystemId { get; set; }
    public string? CallingSystemDisplayName { get; set; }
    public string? CallingSystemOds { get; set; }
    public string? CallingSystemRoleCode { get; set; }
    public string? NhsNumber { get; set; }
    public int PurposeOfUse { get; set; }
    public string? CareRelationshipId { get; set; }
    public int? EmergencyReasonCode { get; set; }
    public string? EmergencyReasonText { get; set; }
    public int[] ReturnedCategories { get; set; } = [];
    public string[] ReturnedEntryIds { get; set; } = [];
    public string? AccessTokenId { get; set; }
    public long ConsentVersion { get; set; }
    public string? TraceId { get; set; }
    public bool? MatchSamePerson { get; set; }
    public bool? MatchSameFamilyName { get; set; }
    public bool? MatchSameAddress { get; set; }
    public int ChainPartition { get; set; }
    public long ChainSequence { get; set; }
    public required byte[] ChainHash { get; set; }
    public required byte[] PreviousChainHash { get; set; }
}

/// <summary>A privacy review finding kept for an IG officer's decision.</summary>
public sealed class PrivacyReviewCaseRow
{
    public Guid Id { get; set; }

    /// <summary>Creation order (identity): the keyset of "newest first" listings.</summary>
    public long Number { get; set; }

    /// <summary>Rule, actor, patient and local day: a re-run finds the same key and keeps the case.</summary>
    public required string FindingKey { get; set; }
    public int Rule { get; set; }
    public int Severity { get; set; }
    public required string Explanation { get; set; }
    public int ActorKind { get; set; }
    public required string ActorId { get; set; }
    public string? ActorDisplayName { get; set; }
    public string? ActorOds { get; set; }
    public string? ActorRoleCode { get; set; }
    public string? NhsNumber { get; set; }
    public int EventCount { get; set; }
    public DateTimeOffset FirstEventTime { get; set; }
    public DateTimeOffset LastEventTime { get; set; }
    public int Status { get; set; }
    public string? ResolutionNote { get; set; }
    public int? ClosedByKind { get; set; }
    public string? ClosedById { get; set; }
    public string? ClosedByOds { get; set; }
    public string? ClosedByRoleCode { get; set; }
    public DateTimeOffset? CloseTime { get; set; }
    public DateTimeOffset CreateTime { get; set; }
    public DateTimeOffset UpdateTime { get; set; }

    /// <summary>Optimistic-concurrency version: 1 on creation, +1 per change; the etag is "v{Version}".</summary>
    public long Version { get; set; }
}

/// <summary>Links a case to the events it covers (at most 100 listed per case).</summary>
public sealed class PrivacyReviewCaseEventRow
{
    public Guid CaseId { get; set; }
    public Guid EventId { get; set; }
    public int Position { get; set; }
}
