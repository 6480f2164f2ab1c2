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

    // Issue 20 (all null on events recorded before it; see Canonical's second format).

    /// <summary>The kind of care relationship the access rested on (lcr.identity.v1.CareRelationshipKind).</summary>
    public int? CareRelationshipKind { get; set; }

    /// <summary>The self-claimed care relationship the access rested on (or that was claimed).</summary>
    public string? SelfClaimRelationshipId { get; set; }
    public int? SelfClaimReasonCode { get; set; }
    public string? SelfClaimReasonText { get; set; }

    /// <summary>Set when the record was sealed: whether the viewer was named on the seal.</summary>
    public bool? SealedViewerNamed { get; set; }
    public string? SealedBreakGlassJustification { get; set; }

    /// <summary>On seal and unseal events: the seal concerned.</summary>
    public int? SealReason { get; set; }
    public bool? SealAutomatic { get; set; }
    public int? SealDistinctViewers { get; set; }

    /// <summary>True when any issue 20 field is set: the event is hashed in the second canonical format.</summary>
    public bool HasAccessDetail => CareRelationshipKind is not null || SelfClaimRelationshipId is not null || SealedViewerNamed is not null ||
                                   SealReason is not null;

    // Issue 21 (empty, null or false on events recorded before it; see Canonical's third format).

    /// <summary>The NHS numbers merged into <see cref="NhsNumber"/> whose records the action included.</summary>
    public string[] MergedNhsNumbers { get; set; } = [];

    /// <summary>On supersession events and refusals of a superseded number: the superseded number.</summary>
    public string? SupersededNhsNumber { get; set; }

    /// <summary>With <see cref="SupersededNhsNumber"/>: the number in use for the person.</summary>
    public string? CurrentNhsNumber { get; set; }

    /// <summary>With <see cref="SupersededNhsNumber"/>: the demographics feed's notice id, when there was one.</summary>
    public string? SupersessionNoticeId { get; set; }

    /// <summary>The viewer's role saw only each alert's existence and kind.</summary>
    public bool AlertDetailsWithheld { get; set; }

    /// <summary>The patient's date of death when the action was taken, when they had died.</summary>
    public DateOnly? PatientDeathDate { get; set; }

    /// <summary>True when any issue 21 field is set: the event is hashed in the third canonical format.</summary>
    public bool HasPatientIdentityDetail => MergedNhsNumbers.Length > 0 || SupersededNhsNumber is not null || AlertDetailsWithheld ||
                                            PatientDeathDate is not null;
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

    /// <summary>The organisation whose privacy officer is alerted (ODS code): the acting organisation.</summary>
    public string? OrganisationOds { get; set; }

    /// <summary>How the case arose (lcr.audit.v1.PrivacyAlertOrigin).</summary>
    public int Origin { get; set; }
}

/// <summary>One decision or note on a case, append-only, oldest first by <see cref="Sequence"/>.</summary>
public sealed class PrivacyReviewCaseChangeRow
{
    public Guid CaseId { get; set; }
    public int Sequence { get; set; }
    public int Status { get; set; }
    public string? Note { get; set; }
    public int ChangedByKind { get; set; }
    public required string ChangedById { get; set; }
    public string? ChangedByDisplayName { get; set; }
    public string? ChangedByOds { get; set; }
    public string? ChangedByRoleCode { get; set; }
    public DateTimeOffset ChangeTime { get; set; }
}

/// <summary>Links a case to the events it covers (at most 100 listed per case).</summary>
public sealed class PrivacyReviewCaseEventRow
{
    public Guid CaseId { get; set; }
    public Guid EventId { get; set; }
    public int Position { get; set; }
}
