using Grpc.Core;
using Lcr.Audit.Application;
using Lcr.Audit.V1;
using Lcr.ServiceDefaults;

namespace Lcr.Audit.Api;

/// <summary>The gRPC face of <see cref="AuditLog"/> and <see cref="PrivacyReview"/>: no logic, just translation.</summary>
[InternalCaller]
public sealed class AuditGrpcService(AuditLog log, PrivacyReview review) : AuditService.AuditServiceBase
{
    public override Task<RecordEventsResponse> RecordEvents(RecordEventsRequest request, ServerCallContext context) =>
        log.RecordAsync(request, context.CancellationToken);

    public override Task<ListEventsByPatientResponse> ListEventsByPatient(ListEventsByPatientRequest request, ServerCallContext context) =>
        log.ListByPatientAsync(request, CallerHeaders.RequireActor(context), context.CancellationToken);

    public override Task<ListEventsByActorResponse> ListEventsByActor(ListEventsByActorRequest request, ServerCallContext context) =>
        log.ListByActorAsync(request, CallerHeaders.RequireActor(context), context.CancellationToken);

    public override Task<VerifyChainResponse> VerifyChain(VerifyChainRequest request, ServerCallContext context) =>
        log.VerifyAsync(request, context.CancellationToken);

    public override Task<RunPrivacyReviewResponse> RunPrivacyReview(RunPrivacyReviewRequest request, ServerCallContext context) =>
        review.RunAsync(request, context.CancellationToken);

    public override Task<ListPrivacyReviewCasesResponse> ListPrivacyReviewCases(ListPrivacyReviewCasesRequest request, ServerCallContext context) =>
        review.ListCasesAsync(request, context.CancellationToken);

    public override async Task<GetPrivacyReviewCaseResponse> GetPrivacyReviewCase(GetPrivacyReviewCaseRequest request, ServerCallContext context) =>
        new() { ReviewCase = await review.GetCaseAsync(request.CaseId, CallerHeaders.ReadOrganisationScope(context), context.CancellationToken) };

    public override async Task<UpdatePrivacyReviewCaseResponse> UpdatePrivacyReviewCase(UpdatePrivacyReviewCaseRequest request, ServerCallContext context) =>
        new()
        {
            ReviewCase = await review.UpdateCaseAsync(request, CallerHeaders.RequireActor(context), CallerHeaders.ReadOrganisationScope(context),
                context.CancellationToken),
        };
}
