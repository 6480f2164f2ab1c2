namespace Lcr.Consent.Domain;

/// <summary>
/// Everything <see cref="AccessEvaluator"/> needs about one patient at one consent version:
/// whether they are opted out, the restrictions not removed, who a seal names (if sealed) and
/// whether the patient-facing access log is held for enhanced review (expiry is applied at
/// evaluation time, so a snapshot never goes stale by the clock). This is what the Redis
/// cache holds, under a key that includes <see cref="Version"/>: the snapshot of a given
/// version never changes, so a cached one can never be stale. It carries no free text,
/// names or actors: only codes and platform ids.
/// </summary>
public sealed record ConsentSnapshot(
    long Version,
    bool OptedOut,
    IReadOnlyList<SnapshotRestriction> Restrictions,
    SnapshotSeal? Seal = null,
    bool AccessLogUnderReview = false)
{
    public bool Sealed => Seal is not null;

    /// <summary>A patient with no consent record: not opted out, no restrictions, version 0.</summary>
    public static ConsentSnapshot None { get; } = new(0, false, []);
}

/// <summary>A restriction in a snapshot: its target and optional end (exclusive).</summary>
public sealed record SnapshotRestriction(TargetKind Kind, string Value, DateTimeOffset? EndTime)
{
    public bool AppliesAt(DateTimeOffset now) => EndTime is not { } end || now < end;
}
