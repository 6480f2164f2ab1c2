using Lcr.Common.V1;
using Lcr.Consent.Domain;
using Lcr.Consent.V1;
using Lcr.ServiceDefaults;

namespace Lcr.Consent.Application;

/// <summary>
/// Sealing and enhanced review: consent events like opt-outs and restrictions, through the
/// same locked change (<see cref="ChangeAsync"/>), so every one bumps the consent version and
/// the very next EvaluateAccess sees it.
/// </summary>
public sealed partial class ConsentUseCases
{
    /// <summary>The SNOMED CT concept of an enhanced review: "enhanced review indicated before granting access to own health record".</summary>
    public const string EnhancedReviewSnomedCode = "1290301000000109";

    /// <summary>Seals the record, or replaces the seal in force (always a change).</summary>
    public async Task<ConsentState> SealAsync(SealRecordRequest request, Actor actor, CancellationToken ct)
    {
        var v = new FieldViolations();
        NhsNumber.Validate(request.NhsNumber, v);
        var seal = SealRules.Seal(request.Seal, clock.GetUtcNow(), v);
        v.ThrowIfAny();

        var (ledger, _) = await ChangeAsync(request.NhsNumber, actor,
            (_, _) => SealEvent(seal!.Reason, seal.Note, seal.ProfessionalIds, seal.TeamIds, seal.ReviewTime), ct);
        return ConsentMapping.ToState(request.NhsNumber, ledger, clock.GetUtcNow());
    }

    /// <summary>Lifts the seal; nothing changes when the record is not sealed.</summary>
    public async Task<(ConsentState State, bool Changed)> UnsealAsync(UnsealRecordRequest request, Actor actor, CancellationToken ct)
    {
        ValidateReasonChange(request.NhsNumber, request.Reason);
        var (ledger, change) = await ChangeAsync(request.NhsNumber, actor,
            (l, _) => l.Seal is null ? null : NewEvent(ChangeKind.RecordUnsealed, ConsentChannel.Unspecified, request.Reason), ct);
        return (ConsentMapping.ToState(request.NhsNumber, ledger, clock.GetUtcNow()), change is not null);
    }

    /// <summary>
    /// The platform's view-surge seal: reason VIEW_SURGE, nobody named, recorded as the
    /// platform actor of the internal credential (any other caller is refused). A record
    /// already sealed, by anyone, is left as it is.
    /// </summary>
    public async Task<(ConsentState State, bool Sealed)> SealAutomaticallyAsync(
        SealRecordAutomaticallyRequest request, Actor actor, CancellationToken ct)
    {
        var v = new FieldViolations();
        NhsNumber.Validate(request.NhsNumber, v);
        v.Check(request.DistinctViewers > 0, "distinct_viewers", "must be positive");
        var review = SealRules.ReviewTime(request.ReviewTime, "review_time", clock.GetUtcNow(), v);
        v.ThrowIfAny();
        if (actor.Kind != ActorKind.Platform)
        {
            throw new PermissionDeniedException("PLATFORM_ONLY", "Only the platform seals a record automatically.");
        }

        var note = string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"Sealed automatically: {request.DistinctViewers} distinct professionals viewed the record within the view-surge window; an IG officer reviews it.");
        var (ledger, change) = await ChangeAsync(request.NhsNumber, actor,
            (l, _) => l.Seal is not null ? null : SealEvent(SealReason.ViewSurge, note, [], [], review!.Value), ct);
        return (ConsentMapping.ToState(request.NhsNumber, ledger, clock.GetUtcNow()), change is not null);
    }

    /// <summary>Holds the patient-facing access log for enhanced review; idempotent.</summary>
    public async Task<ConsentState> StartAccessLogReviewAsync(StartAccessLogReviewRequest request, Actor actor, CancellationToken ct)
    {
        ValidateReasonChange(request.NhsNumber, request.Reason);
        var (ledger, _) = await ChangeAsync(request.NhsNumber, actor,
            (l, _) => l.AccessLogReview is not null ? null : NewEvent(ChangeKind.AccessLogReviewStarted, ConsentChannel.Unspecified, request.Reason), ct);
        return ConsentMapping.ToState(request.NhsNumber, ledger, clock.GetUtcNow());
    }

    /// <summary>Ends the enhanced review; idempotent.</summary>
    public async Task<ConsentState> CompleteAccessLogReviewAsync(CompleteAccessLogReviewRequest request, Actor actor, CancellationToken ct)
    {
        ValidateReasonChange(request.NhsNumber, request.Reason);
        var (ledger, _) = await ChangeAsync(request.NhsNumber, actor,
            (l, _) => l.AccessLogReview is null ? null : NewEvent(ChangeKind.AccessLogReviewCompleted, ConsentChannel.Unspecified, request.Reason), ct);
        return ConsentMapping.ToState(request.NhsNumber, ledger, clock.GetUtcNow());
    }

    private static void ValidateReasonChange(string nhsNumber, string reason)
    {
        var v = new FieldViolations();
        NhsNumber.Validate(nhsNumber, v);
        ConsentRules.Reason(reason, "reason", v);
        v.ThrowIfAny();
    }

    private static ConsentEvent SealEvent(SealReason reason, string note, string[] professionals, string[] teams, DateTimeOffset review)
    {
        var e = NewEvent(ChangeKind.RecordSealed, ConsentChannel.Unspecified, note);
        e.SealReason = (int)reason;
        e.SealProfessionalIds = professionals;
        e.SealTeamIds = teams;
        e.SealReviewTime = Microseconds(review);
        return e;
    }
}
