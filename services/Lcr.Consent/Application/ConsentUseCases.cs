using System.Diagnostics;
using Lcr.Common.V1;
using Lcr.Consent.Domain;
using Lcr.Consent.Persistence;
using Lcr.Consent.V1;
using Lcr.ServiceDefaults;
using Microsoft.EntityFrameworkCore;

namespace Lcr.Consent.Application;

/// <summary>
/// The consent use cases. Every change runs in one transaction that locks the patient's
/// version row, folds their history, decides whether anything changes (re-recording an
/// opt-out or re-sending an AddRestriction changes nothing), appends one event and bumps the
/// version. EvaluateAccess reads the version first, so it sees every committed change.
/// </summary>
public sealed partial class ConsentUseCases(
    ConsentDbContext db, ConsentSnapshotCache cache, ConsentMetrics metrics, PatientVersionStore versions, TimeProvider clock)
{
    public async Task<EvaluateAccessResponse> EvaluateAccessAsync(EvaluateAccessRequest request, CancellationToken ct)
    {
        var v = new FieldViolations();
        NhsNumber.Validate(request.NhsNumber, v);
        var viewer = ConsentRules.ViewerId(request.ViewerProfessionalId, "viewer_professional_id", v);
        var organisation = ConsentRules.Ods(request.ViewerOrganisationOdsCode, "viewer_organisation_ods_code", v);
        v.MaxLength(request.ViewerRoleCode, "viewer_role_code", ConsentRules.MaxRoleCodeLength);
        ConsentRules.Categories(request.RequestedCategories, "requested_categories", v);
        var team = SealRules.Team(request.ViewerTeamId, "viewer_team_id", required: false, v);
        ConsentRules.MergedNhsNumbers(request.MergedNhsNumbers, request.NhsNumber, v);
        v.ThrowIfAny();

        using var activity = ConsentMetrics.ActivitySource.StartActivity("consent.evaluate_access");
        var query = new AccessQuery(viewer!, organisation!, request.RequestedCategories.Distinct().ToArray(), request.Emergency, team);
        var now = clock.GetUtcNow();
        var snapshots = await SnapshotsAsync([request.NhsNumber, .. request.MergedNhsNumbers], ct);
        var merged = snapshots.Skip(1).Select(s => AccessEvaluator.Evaluate(s, query, now)).ToList();
        var outcome = MergedAccessCombiner.Combine(AccessEvaluator.Evaluate(snapshots[0], query, now), merged);

        activity?.SetTag("lcr.consent.decision", outcome.Decision.ToString());
        activity?.SetTag("lcr.consent.reason", outcome.Reason.ToString());
        activity?.SetTag("lcr.consent.version", outcome.ConsentVersion);
        activity?.SetTag("lcr.consent.emergency", request.Emergency);
        activity?.SetTag("lcr.consent.sealed", outcome.Sealed);
        activity?.SetTag("lcr.consent.merged_numbers", merged.Count);
        metrics.Decisions.Add(1, new KeyValuePair<string, object?>("decision", outcome.Decision.ToString()),
            new KeyValuePair<string, object?>("reason", outcome.Reason.ToString()));
        var response = ConsentMapping.ToResponse(outcome);
        for (var i = 0; i < merged.Count; i++)
        {
            response.MergedConsentVersions.Add(new MergedConsentVersion
            {
                NhsNumber = request.MergedNhsNumbers[i],
                ConsentVersion = merged[i].ConsentVersion,
            });
        }

        return response;
    }

    /// <summary>The consent state of the patient and, in request order, of each number merged into their record.</summary>
    public async Task<GetConsentResponse> GetAsync(GetConsentRequest request, CancellationToken ct)
    {
        var v = new FieldViolations();
        NhsNumber.Validate(request.NhsNumber, v);
        ConsentRules.MergedNhsNumbers(request.MergedNhsNumbers, request.NhsNumber, v);
        v.ThrowIfAny();

        string[] numbers = [request.NhsNumber, .. request.MergedNhsNumbers];
        var events = (await db.Events.AsNoTracking().Where(e => numbers.Contains(e.NhsNumber)).ToListAsync(ct))
            .ToLookup(e => e.NhsNumber, StringComparer.Ordinal);
        var now = clock.GetUtcNow();
        var response = new GetConsentResponse
        {
            Consent = ConsentMapping.ToState(request.NhsNumber, ConsentLedger.Fold(events[request.NhsNumber]), now),
        };
        response.MergedConsents.AddRange(request.MergedNhsNumbers.Select(n => ConsentMapping.ToState(n, ConsentLedger.Fold(events[n]), now)));
        return response;
    }

    public async Task<(ConsentState State, bool Changed)> RecordOptOutAsync(RecordOptOutRequest request, Actor actor, CancellationToken ct)
    {
        ValidateOptOutChange(request.NhsNumber, request.Channel, request.Reason);
        var (ledger, change) = await ChangeAsync(request.NhsNumber, actor,
            (l, _) => l.OptedOut ? null : NewEvent(ChangeKind.OptOutRecorded, request.Channel, request.Reason), ct);
        return (ConsentMapping.ToState(request.NhsNumber, ledger, clock.GetUtcNow()), change is not null);
    }

    public async Task<(ConsentState State, bool Changed)> WithdrawOptOutAsync(WithdrawOptOutRequest request, Actor actor, CancellationToken ct)
    {
        ValidateOptOutChange(request.NhsNumber, request.Channel, request.Reason);
        var (ledger, change) = await ChangeAsync(request.NhsNumber, actor,
            (l, _) => l.OptedOut ? NewEvent(ChangeKind.OptOutWithdrawn, request.Channel, request.Reason) : null, ct);
        return (ConsentMapping.ToState(request.NhsNumber, ledger, clock.GetUtcNow()), change is not null);
    }

    public async Task<AddRestrictionResponse> AddRestrictionAsync(AddRestrictionRequest request, Actor actor, CancellationToken ct)
    {
        var v = new FieldViolations();
        NhsNumber.Validate(request.NhsNumber, v);
        var (target, end) = ConsentRules.Restriction(request.Restriction, clock.GetUtcNow(), v);
        var requestId = ConsentRules.Uuid(request.RequestId, "request_id", v);
        v.ThrowIfAny();

        RestrictionRecord? previous = null;
        var (ledger, change) = await ChangeAsync(request.NhsNumber, actor, (l, _) =>
        {
            previous = l.FindByRequest(requestId!.Value);
            if (previous is not null)
            {
                if (previous.Target != target || previous.Added.EndTime != end)
                {
                    throw new InvalidArgumentException("request_id", "was already used for a different restriction; use a new request_id");
                }

                return null;
            }

            var e = NewEvent(ChangeKind.RestrictionAdded, request.Restriction.Channel, request.Restriction.Reason);
            e.RestrictionId = Guid.CreateVersion7();
            e.TargetKind = target!.Kind;
            e.TargetValue = target.Value;
            e.EndTime = end;
            e.RequestId = requestId;
            return e;
        }, ct);

        var now = clock.GetUtcNow();
        var record = previous ?? ledger.Find(change!.RestrictionId!.Value)!;
        return new AddRestrictionResponse
        {
            Restriction = ConsentMapping.ToRestriction(record.Added, record.Removed, now),
            Consent = ConsentMapping.ToState(request.NhsNumber, ledger, now),
        };
    }

    public async Task<RemoveRestrictionResponse> RemoveRestrictionAsync(RemoveRestrictionRequest request, Actor actor, CancellationToken ct)
    {
        var v = new FieldViolations();
        NhsNumber.Validate(request.NhsNumber, v);
        var id = ConsentRules.Uuid(request.RestrictionId, "restriction_id", v);
        ConsentRules.Reason(request.Reason, "reason", v);
        ConsentRules.Channel(request.Channel, "channel", v);
        v.ThrowIfAny();

        var (ledger, _) = await ChangeAsync(request.NhsNumber, actor, (l, now) =>
        {
            var record = l.Find(id!.Value) ?? throw new NotFoundException("restriction");
            if (record.StatusAt(now) != RestrictionStatus.Active)
            {
                return null; // already removed or expired: nothing to do
            }

            var e = NewEvent(ChangeKind.RestrictionRemoved, request.Channel, request.Reason);
            e.RestrictionId = record.Id;
            return e;
        }, ct);

        var at = clock.GetUtcNow();
        var restriction = ledger.Find(id!.Value)!;
        return new RemoveRestrictionResponse
        {
            Restriction = ConsentMapping.ToRestriction(restriction.Added, restriction.Removed, at),
            Consent = ConsentMapping.ToState(request.NhsNumber, ledger, at),
        };
    }

    public async Task<ListConsentHistoryResponse> HistoryAsync(ListConsentHistoryRequest request, CancellationToken ct)
    {
        var v = new FieldViolations();
        NhsNumber.Validate(request.NhsNumber, v);
        var size = Paging.ResolvePageSize(request.PageSize, v);
        var fingerprint = "consent-history|" + request.NhsNumber;
        var before = Paging.DecodeToken<long?>(request.PageToken, fingerprint, v);
        v.ThrowIfAny();

        var query = db.Events.AsNoTracking().Where(e => e.NhsNumber == request.NhsNumber);
        if (before is { } b)
        {
            query = query.Where(e => e.Version < b);
        }

        var page = await query.OrderByDescending(e => e.Version).Take(size + 1).ToListAsync(ct);
        var shown = page.Take(size).ToList();

        // A removal shows the restriction it removed, whose addition may be on another page.
        var removedIds = shown.Where(e => e.Kind == ChangeKind.RestrictionRemoved).Select(e => e.RestrictionId).ToList();
        var additions = removedIds.Count == 0
            ? []
            : await db.Events.AsNoTracking()
                .Where(e => e.NhsNumber == request.NhsNumber && e.Kind == ChangeKind.RestrictionAdded && removedIds.Contains(e.RestrictionId))
                .ToDictionaryAsync(e => e.RestrictionId!.Value, ct);

        // An unsealing shows the seal it lifted: the last sealing before it, perhaps on another page.
        var seals = !shown.Any(e => e.Kind == ChangeKind.RecordUnsealed)
            ? []
            : await db.Events.AsNoTracking()
                .Where(e => e.NhsNumber == request.NhsNumber && e.Kind == ChangeKind.RecordSealed && e.Version < shown[0].Version)
                .OrderByDescending(e => e.Version)
                .ToListAsync(ct);

        var response = new ListConsentHistoryResponse();
        response.Changes.AddRange(shown.Select(e => ConsentMapping.ToChange(e, e.Kind switch
        {
            ChangeKind.RestrictionRemoved => additions.GetValueOrDefault(e.RestrictionId!.Value),
            ChangeKind.RecordUnsealed => seals.FirstOrDefault(s => s.Version < e.Version),
            _ => null,
        })));
        if (page.Count > size)
        {
            response.NextPageToken = Paging.EncodeToken<long?>(shown[^1].Version, fingerprint);
        }

        return response;
    }

    /// <summary>
    /// Each number's decision inputs at its current version, in the order given: the versions in
    /// one PostgreSQL read, then each snapshot from the cache, else PostgreSQL. Every number has
    /// its own version and cache entry, so a change under any of them is seen by the next read.
    /// </summary>
    private async Task<List<ConsentSnapshot>> SnapshotsAsync(string[] nhsNumbers, CancellationToken ct)
    {
        var versions = nhsNumbers.Length == 1
            ? new Dictionary<string, long>(StringComparer.Ordinal)
            {
                [nhsNumbers[0]] = await db.Patients.AsNoTracking().Where(p => p.NhsNumber == nhsNumbers[0]).Select(p => p.Version).FirstOrDefaultAsync(ct),
            }
            : await db.Patients.AsNoTracking().Where(p => nhsNumbers.Contains(p.NhsNumber))
                .ToDictionaryAsync(p => p.NhsNumber, p => p.Version, StringComparer.Ordinal, ct);
        var snapshots = new List<ConsentSnapshot>(nhsNumbers.Length);
        foreach (var nhsNumber in nhsNumbers)
        {
            snapshots.Add(await SnapshotAsync(nhsNumber, versions.GetValueOrDefault(nhsNumber), ct));
        }

        return snapshots;
    }

    /// <summary>The patient's decision inputs at the given (current) version: cache, else PostgreSQL.</summary>
    private async Task<ConsentSnapshot> SnapshotAsync(string nhsNumber, long version, CancellationToken ct)
    {
        if (version == 0)
        {
            metrics.NoRecord.Add(1);
            return ConsentSnapshot.None;
        }

        if (await cache.GetAsync(nhsNumber, version) is { } cached)
        {
            return cached;
        }

        // Exactly the events up to the version read, so what is cached under that version is
        // the state at that version even if another change commits meanwhile.
        var events = await db.Events.AsNoTracking()
            .Where(e => e.NhsNumber == nhsNumber && e.Version <= version)
            .ToListAsync(ct);
        var snapshot = ConsentLedger.Fold(events).ToSnapshot();
        await cache.SetAsync(nhsNumber, snapshot);
        return snapshot;
    }

    /// <summary>
    /// Runs one consent change: locks the patient's version row (creating it at version 0 for
    /// a first change), folds the history, asks <paramref name="decide"/> for the event to
    /// append (null: nothing changes, roll back), appends it and bumps the version, commits,
    /// then writes the new snapshot to the cache (a courtesy: readers never depend on it). The
    /// patient's consent version record (<see cref="PatientVersionStore"/>) is marked before the
    /// transaction and published after it, before the caller replies.
    /// </summary>
    private async Task<(ConsentLedger Ledger, ConsentEvent? Change)> ChangeAsync(
        string nhsNumber, Actor actor, Func<ConsentLedger, DateTimeOffset, ConsentEvent?> decide, CancellationToken ct)
    {
        // Announced to the readers (the gateway's kept consent inputs) before anything is written,
        // published after the commit and before the reply; no Redis, no change.
        var write = await versions.BeginWriteAsync(PatientDataKind.Consent, nhsNumber, ct);
        ConsentLedger ledger;
        ConsentEvent change;
        List<ConsentEvent> events;
        try
        {
            var outcome = await CommitChangeAsync(nhsNumber, actor, decide, write, ct);
            if (outcome.Change is null)
            {
                return (outcome.Ledger, null);
            }

            (ledger, change, events) = (outcome.Ledger, outcome.Change, outcome.Events);
        }
        finally
        {
            await write.CompleteAsync();
        }

        events.Add(change);
        ledger = ConsentLedger.Fold(events);
        await cache.SetAsync(nhsNumber, ledger.ToSnapshot());
        Activity.Current?.SetTag("lcr.consent.version", ledger.Version);
        return (ledger, change);
    }

    /// <summary>The transaction of <see cref="ChangeAsync"/>: the events read, and the change committed (null: nothing changed, rolled back).</summary>
    private async Task<(ConsentLedger Ledger, ConsentEvent? Change, List<ConsentEvent> Events)> CommitChangeAsync(
        string nhsNumber, Actor actor, Func<ConsentLedger, DateTimeOffset, ConsentEvent?> decide, PatientWrite write, CancellationToken ct)
    {
        var now = Microseconds(clock.GetUtcNow());
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.Database.ExecuteSqlInterpolatedAsync(
            $"INSERT INTO consent_patients (nhs_number, version, updated_at) VALUES ({nhsNumber}, 0, {now}) ON CONFLICT (nhs_number) DO NOTHING",
            ct);
        var version = await db.Database
            .SqlQuery<long>($"SELECT version AS \"Value\" FROM consent_patients WHERE nhs_number = {nhsNumber} FOR UPDATE")
            .SingleAsync(ct);
        var events = await db.Events.AsNoTracking().Where(e => e.NhsNumber == nhsNumber).ToListAsync(ct);
        var ledger = ConsentLedger.Fold(events);
        if (ledger.Version != version)
        {
            throw new InvalidOperationException("The consent version row and the consent history disagree.");
        }

        var change = decide(ledger, now);
        if (change is null)
        {
            await tx.RollbackAsync(ct);
            return (ledger, null, events);
        }

        change.NhsNumber = nhsNumber;
        change.Version = version + 1;
        change.OccurredAt = now;
        change.ActorKind = (int)actor.Kind;
        change.ActorId = actor.Id;
        change.ActorOrganisation = string.IsNullOrEmpty(actor.Organisation?.OdsCode) ? null : actor.Organisation.OdsCode;
        change.ActorRole = string.IsNullOrEmpty(actor.RoleCode) ? null : actor.RoleCode;
        db.Events.Add(change);
        await db.SaveChangesAsync(ct);
        await db.Database.ExecuteSqlInterpolatedAsync(
            $"UPDATE consent_patients SET version = {change.Version}, updated_at = {now} WHERE nhs_number = {nhsNumber}", ct);
        write.EnsureCovered();
        await tx.CommitAsync(ct);
        db.ChangeTracker.Clear();
        return (ledger, change, events);
    }

    /// <summary>PostgreSQL keeps microseconds: a change's reply shows the times a later read will.</summary>
    internal static DateTimeOffset Microseconds(DateTimeOffset t) => t.AddTicks(-(t.Ticks % 10));

    private static void ValidateOptOutChange(string nhsNumber, ConsentChannel channel, string reason)
    {
        var v = new FieldViolations();
        NhsNumber.Validate(nhsNumber, v);
        ConsentRules.Channel(channel, "channel", v);
        ConsentRules.Reason(reason, "reason", v);
        v.ThrowIfAny();
    }

    private static ConsentEvent NewEvent(ChangeKind kind, ConsentChannel channel, string reason) => new()
    {
        NhsNumber = string.Empty,
        Kind = kind,
        Channel = (int)channel,
        Reason = reason.Trim(),
        ActorId = string.Empty,
    };
}
