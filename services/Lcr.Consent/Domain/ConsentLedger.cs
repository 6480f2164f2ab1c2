namespace Lcr.Consent.Domain;

/// <summary>
/// A patient's consent state derived from their history: the events folded in version
/// order. Nothing here is stored; it is recomputed from the append-only log whenever needed.
/// </summary>
public sealed class ConsentLedger
{
    private readonly List<RestrictionRecord> _restrictions = [];

    private ConsentLedger()
    {
    }

    /// <summary>The version of the last event folded; 0 for a patient with no consent record.</summary>
    public long Version { get; private set; }

    /// <summary>When the last event was recorded; null for version 0.</summary>
    public DateTimeOffset? UpdatedAt { get; private set; }

    /// <summary>The opt-out in force (its recording event), or null.</summary>
    public ConsentEvent? OptOut { get; private set; }

    public bool OptedOut => OptOut is not null;

    /// <summary>The seal in force (the event that placed it; a later seal replaces it), or null.</summary>
    public ConsentEvent? Seal { get; private set; }

    /// <summary>The enhanced review of the patient-facing access log in force (its starting event), or null.</summary>
    public ConsentEvent? AccessLogReview { get; private set; }

    /// <summary>Every restriction ever added, oldest first, with its removal if any.</summary>
    public IReadOnlyList<RestrictionRecord> Restrictions => _restrictions;

    public static ConsentLedger Fold(IEnumerable<ConsentEvent> events)
    {
        var ledger = new ConsentLedger();
        foreach (var e in events.OrderBy(e => e.Version))
        {
            ledger.Apply(e);
        }

        return ledger;
    }

    public RestrictionRecord? Find(Guid restrictionId) => _restrictions.Find(r => r.Id == restrictionId);

    /// <summary>The first restriction added by an AddRestriction call with this idempotency key.</summary>
    public RestrictionRecord? FindByRequest(Guid requestId) => _restrictions.Find(r => r.Added.RequestId == requestId);

    /// <summary>The decision inputs at this version (removed restrictions left out; expiry is applied later).</summary>
    public ConsentSnapshot ToSnapshot() =>
        Version == 0
            ? ConsentSnapshot.None
            : new ConsentSnapshot(
                Version,
                OptedOut,
                _restrictions.Where(r => r.Removed is null)
                    .Select(r => new SnapshotRestriction(r.Target.Kind, r.Target.Value, r.Added.EndTime))
                    .ToList(),
                Seal is { } seal
                    ? new SnapshotSeal(seal.SealProfessionalIds ?? [], seal.SealTeamIds ?? [])
                    : null,
                AccessLogReview is not null);

    private void Apply(ConsentEvent e)
    {
        if (e.Version != Version + 1)
        {
            throw new InvalidOperationException($"Consent history has a gap: version {e.Version} follows {Version}.");
        }

        Version = e.Version;
        UpdatedAt = e.OccurredAt;
        switch (e.Kind)
        {
            case ChangeKind.OptOutRecorded:
                OptOut = e;
                break;
            case ChangeKind.OptOutWithdrawn:
                OptOut = null;
                break;
            case ChangeKind.RestrictionAdded:
                _restrictions.Add(new RestrictionRecord(e));
                break;
            case ChangeKind.RestrictionRemoved:
                var record = e.RestrictionId is { } id ? Find(id) : null;
                if (record is null)
                {
                    throw new InvalidOperationException($"Consent history version {e.Version} removes an unknown restriction.");
                }

                record.Removed = e;
                break;
            case ChangeKind.RecordSealed:
                Seal = e;
                break;
            case ChangeKind.RecordUnsealed:
                Seal = null;
                break;
            case ChangeKind.AccessLogReviewStarted:
                AccessLogReview = e;
                break;
            case ChangeKind.AccessLogReviewCompleted:
                AccessLogReview = null;
                break;
            default:
                throw new InvalidOperationException($"Unknown consent change kind {(int)e.Kind}.");
        }
    }
}

/// <summary>A restriction as derived from its addition and (optional) removal events.</summary>
public sealed class RestrictionRecord(ConsentEvent added)
{
    public Guid Id { get; } = added.RestrictionId ?? throw new InvalidOperationException("A restriction addition has no id.");

    public ConsentEvent Added { get; } = added;

    public ConsentEvent? Removed { get; internal set; }

    public RestrictionTarget Target { get; } = added.Target ?? throw new InvalidOperationException("A restriction addition has no target.");

    public RestrictionStatus StatusAt(DateTimeOffset now) =>
        Removed is not null ? RestrictionStatus.Removed
        : Added.EndTime is { } end && now >= end ? RestrictionStatus.Expired
        : RestrictionStatus.Active;
}

/// <summary>Whether a restriction applies; numbers match <c>lcr.consent.v1.RestrictionState</c>.</summary>
public enum RestrictionStatus
{
    Active = 1,
    Expired = 2,
    Removed = 3,
}
