using Grpc.Core;
using Lcr.Common.V1;
using Lcr.Consent.Application;
using Lcr.Consent.V1;
using Lcr.ServiceDefaults;

namespace Lcr.Consent.Api;

/// <summary>The gRPC face of <see cref="ConsentUseCases"/>: no logic, just translation.</summary>
[InternalCaller]
public sealed class ConsentGrpcService(ConsentUseCases consent) : V1.ConsentService.ConsentServiceBase
{
    public override Task<GetConsentResponse> GetConsent(GetConsentRequest request, ServerCallContext context) =>
        consent.GetAsync(request, context.CancellationToken);

    public override async Task<RecordOptOutResponse> RecordOptOut(RecordOptOutRequest request, ServerCallContext context)
    {
        var (state, changed) = await consent.RecordOptOutAsync(request, Writer(context), context.CancellationToken);
        return new RecordOptOutResponse { Consent = state, Changed = changed };
    }

    public override async Task<WithdrawOptOutResponse> WithdrawOptOut(WithdrawOptOutRequest request, ServerCallContext context)
    {
        var (state, changed) = await consent.WithdrawOptOutAsync(request, Writer(context), context.CancellationToken);
        return new WithdrawOptOutResponse { Consent = state, Changed = changed };
    }

    public override Task<AddRestrictionResponse> AddRestriction(AddRestrictionRequest request, ServerCallContext context) =>
        consent.AddRestrictionAsync(request, Writer(context), context.CancellationToken);

    public override Task<RemoveRestrictionResponse> RemoveRestriction(RemoveRestrictionRequest request, ServerCallContext context) =>
        consent.RemoveRestrictionAsync(request, Writer(context), context.CancellationToken);

    public override Task<ListConsentHistoryResponse> ListConsentHistory(ListConsentHistoryRequest request, ServerCallContext context) =>
        consent.HistoryAsync(request, context.CancellationToken);

    public override async Task<SealRecordResponse> SealRecord(SealRecordRequest request, ServerCallContext context) =>
        new() { State = await consent.SealAsync(request, Writer(context), context.CancellationToken) };

    public override async Task<UnsealRecordResponse> UnsealRecord(UnsealRecordRequest request, ServerCallContext context)
    {
        var (state, changed) = await consent.UnsealAsync(request, Writer(context), context.CancellationToken);
        return new UnsealRecordResponse { State = state, Changed = changed };
    }

    public override async Task<SealRecordAutomaticallyResponse> SealRecordAutomatically(SealRecordAutomaticallyRequest request, ServerCallContext context)
    {
        var (state, sealedNow) = await consent.SealAutomaticallyAsync(request, Writer(context), context.CancellationToken);
        return new SealRecordAutomaticallyResponse { State = state, Sealed = sealedNow };
    }

    public override async Task<StartAccessLogReviewResponse> StartAccessLogReview(StartAccessLogReviewRequest request, ServerCallContext context) =>
        new() { State = await consent.StartAccessLogReviewAsync(request, Writer(context), context.CancellationToken) };

    public override async Task<CompleteAccessLogReviewResponse> CompleteAccessLogReview(CompleteAccessLogReviewRequest request, ServerCallContext context) =>
        new() { State = await consent.CompleteAccessLogReviewAsync(request, Writer(context), context.CancellationToken) };

    public override Task<EvaluateAccessResponse> EvaluateAccess(EvaluateAccessRequest request, ServerCallContext context) =>
        consent.EvaluateAccessAsync(request, context.CancellationToken);

    /// <summary>The attributable caller of a change (UNAUTHENTICATED without one).</summary>
    private static Actor Writer(ServerCallContext context)
    {
        var actor = CallerHeaders.RequireActor(context);
        if (actor.RoleCode.Length > ConsentRules.MaxRoleCodeLength)
        {
            throw new UnauthenticatedException("CALLER_NOT_IDENTIFIED",
                $"The {CallerHeaders.ActorRole} metadata must be a role code of at most {ConsentRules.MaxRoleCodeLength} characters.");
        }

        return actor;
    }
}
