using Grpc.Core;
using Lcr.Audit.V1;
using Lcr.Common.V1;
using Lcr.Consent.V1;
using Lcr.Gateway.Access;
using Lcr.Gateway.Downstream;
using Lcr.Gateway.Records;
using Lcr.Security;
using Lcr.ServiceDefaults;

namespace Lcr.Gateway.Api;

/// <summary>
/// Consent administration at the front door: information-governance officers (an access token
/// bound to the patient, issued for information governance) recording what a patient asked by
/// phone, letter or email, or systems with
/// <c>consent.write</c>/<c>consent.read</c>. Every change is audited against the patient
/// (sealing and unsealing as RECORD_SEALED / RECORD_UNSEALED with the seal concerned).
/// EvaluateAccess and SealRecordAutomatically are internal to the platform and not exposed.
/// </summary>
[AuthenticatedCaller]
public sealed class ConsentGateway(CallerAuthenticator auth, GovernancePolicy policy, Downstream.Downstream downstream, AuditTrail audit)
    : ConsentService.ConsentServiceBase
{
    private async Task<Actor> Caller(ServerCallContext c, string nhsNumber, string scope)
    {
        NhsNumber.Require(nhsNumber);
        return await auth.RequireGovernanceAsync(c, nhsNumber, scope, policy);
    }

    /// <summary>A consent change: authorise, call the consent service, audit (as <paramref name="action"/>) before replying.</summary>
    private async Task<T> Change<T>(ServerCallContext c, string nhsNumber, Func<Actor, AsyncUnaryCall<T>> call,
        AuditAction action = AuditAction.ConsentChange, SealDetail? seal = null)
    {
        var actor = await Caller(c, nhsNumber, Scopes.ConsentWrite);
        var result = await downstream.CallAsync(ServiceNames.Consent, () => call(actor), c.CancellationToken);
        var e = audit.For(actor, nhsNumber, action, PurposeOfUse.InformationGovernance);
        e.Seal = seal;
        await audit.CommitAsync(e, c);
        return result;
    }

    [GovernanceCaller(Scopes.ConsentRead)]
    public override async Task<GetConsentResponse> GetConsent(GetConsentRequest r, ServerCallContext c)
    {
        var actor = await Caller(c, r.NhsNumber, Scopes.ConsentRead);
        return await downstream.CallAsync(ServiceNames.Consent, () => downstream.Consent.GetConsentAsync(r, downstream.Options(c, actor)), c.CancellationToken);
    }

    [GovernanceCaller(Scopes.ConsentRead)]
    public override async Task<ListConsentHistoryResponse> ListConsentHistory(ListConsentHistoryRequest r, ServerCallContext c)
    {
        var actor = await Caller(c, r.NhsNumber, Scopes.ConsentRead);
        return await downstream.CallAsync(ServiceNames.Consent, () => downstream.Consent.ListConsentHistoryAsync(r, downstream.Options(c, actor)), c.CancellationToken);
    }

    [GovernanceCaller(Scopes.ConsentWrite)]
    public override Task<RecordOptOutResponse> RecordOptOut(RecordOptOutRequest r, ServerCallContext c) =>
        Change(c, r.NhsNumber, a => downstream.Consent.RecordOptOutAsync(r, downstream.Options(c, a)));

    [GovernanceCaller(Scopes.ConsentWrite)]
    public override Task<WithdrawOptOutResponse> WithdrawOptOut(WithdrawOptOutRequest r, ServerCallContext c) =>
        Change(c, r.NhsNumber, a => downstream.Consent.WithdrawOptOutAsync(r, downstream.Options(c, a)));

    [GovernanceCaller(Scopes.ConsentWrite)]
    public override Task<AddRestrictionResponse> AddRestriction(AddRestrictionRequest r, ServerCallContext c) =>
        Change(c, r.NhsNumber, a => downstream.Consent.AddRestrictionAsync(r, downstream.Options(c, a)));

    [GovernanceCaller(Scopes.ConsentWrite)]
    public override Task<RemoveRestrictionResponse> RemoveRestriction(RemoveRestrictionRequest r, ServerCallContext c) =>
        Change(c, r.NhsNumber, a => downstream.Consent.RemoveRestrictionAsync(r, downstream.Options(c, a)));

    [GovernanceCaller(Scopes.ConsentWrite)]
    public override Task<SealRecordResponse> SealRecord(SealRecordRequest r, ServerCallContext c) =>
        Change(c, r.NhsNumber, a => downstream.Consent.SealRecordAsync(r, downstream.Options(c, a)),
            AuditAction.RecordSealed, new SealDetail { Reason = r.Seal?.Reason ?? SealReason.Unspecified, Automatic = false });

    /// <summary>
    /// Reads the seal first (nothing has changed if that fails), so the audit event of the
    /// unsealing names the seal lifted; an unseal of an unsealed record changed nothing and is
    /// audited as a consent change.
    /// </summary>
    [GovernanceCaller(Scopes.ConsentWrite)]
    public override async Task<UnsealRecordResponse> UnsealRecord(UnsealRecordRequest r, ServerCallContext c)
    {
        var actor = await Caller(c, r.NhsNumber, Scopes.ConsentWrite);
        var before = await downstream.CallAsync(ServiceNames.Consent,
            () => downstream.Consent.GetConsentAsync(new GetConsentRequest { NhsNumber = r.NhsNumber }, downstream.Options(c, actor)), c.CancellationToken);
        var result = await downstream.CallAsync(ServiceNames.Consent, () => downstream.Consent.UnsealRecordAsync(r, downstream.Options(c, actor)), c.CancellationToken);
        var e = audit.For(actor, r.NhsNumber, result.Changed ? AuditAction.RecordUnsealed : AuditAction.ConsentChange, PurposeOfUse.InformationGovernance);
        if (result.Changed)
        {
            var lifted = before.Consent.Seal;
            e.Seal = new SealDetail { Reason = lifted?.Reason ?? SealReason.Unspecified, Automatic = lifted?.Automatic ?? false };
        }

        await audit.CommitAsync(e, c);
        return result;
    }

    [GovernanceCaller(Scopes.ConsentWrite)]
    public override Task<StartAccessLogReviewResponse> StartAccessLogReview(StartAccessLogReviewRequest r, ServerCallContext c) =>
        Change(c, r.NhsNumber, a => downstream.Consent.StartAccessLogReviewAsync(r, downstream.Options(c, a)));

    [GovernanceCaller(Scopes.ConsentWrite)]
    public override Task<CompleteAccessLogReviewResponse> CompleteAccessLogReview(CompleteAccessLogReviewRequest r, ServerCallContext c) =>
        Change(c, r.NhsNumber, a => downstream.Consent.CompleteAccessLogReviewAsync(r, downstream.Options(c, a)));

    public override Task<EvaluateAccessResponse> EvaluateAccess(EvaluateAccessRequest r, ServerCallContext c) =>
        throw new PermissionDeniedException("INTERNAL_ONLY", "Access decisions are made inside the platform on every read.");

    public override Task<SealRecordAutomaticallyResponse> SealRecordAutomatically(SealRecordAutomaticallyRequest r, ServerCallContext c) =>
        throw new PermissionDeniedException("INTERNAL_ONLY", "Only the platform seals a record automatically, after a view surge.");
}

/// <summary>
/// Audit queries and privacy review. One patient's trail: an IG officer's patient-bound access
/// token or a system with <c>audit.read</c>; queries across patients (by actor, chain
/// verification, privacy review and its cases): systems with <c>audit.read</c> /
/// <c>audit.review</c>, such as the IG team's case-management tool, because session tokens
/// carry no role to check. The audit service records every query against the log itself.
/// RecordEvents is internal: only platform services write the audit log.
/// </summary>
[AuthenticatedCaller]
public sealed class AuditGateway(CallerAuthenticator auth, GovernancePolicy policy, Downstream.Downstream downstream) : AuditService.AuditServiceBase
{
    /// <summary>Calls across patients (by actor, chain verification, privacy review): system clients with the scope.</summary>
    private async Task<T> Forward<T>(ServerCallContext c, string scope, Func<Actor, AsyncUnaryCall<T>> call)
    {
        var actor = (await auth.RequireSystemAsync(c, scope)).ToActor();
        return await downstream.CallAsync(ServiceNames.Audit, () => call(actor), c.CancellationToken);
    }

    public override Task<RecordEventsResponse> RecordEvents(RecordEventsRequest r, ServerCallContext c) =>
        throw new PermissionDeniedException("INTERNAL_ONLY", "Only platform services write the audit log.");

    [GovernanceCaller(Scopes.AuditRead)]
    public override async Task<ListEventsByPatientResponse> ListEventsByPatient(ListEventsByPatientRequest r, ServerCallContext c)
    {
        NhsNumber.Require(r.NhsNumber);
        var actor = await auth.RequireGovernanceAsync(c, r.NhsNumber, Scopes.AuditRead, policy);
        return await downstream.CallAsync(ServiceNames.Audit, () => downstream.Audit.ListEventsByPatientAsync(r, downstream.Options(c, actor)), c.CancellationToken);
    }

    [SystemScope(Scopes.AuditRead)]
    public override Task<ListEventsByActorResponse> ListEventsByActor(ListEventsByActorRequest r, ServerCallContext c) =>
        Forward(c, Scopes.AuditRead, a => downstream.Audit.ListEventsByActorAsync(r, downstream.Options(c, a)));

    [SystemScope(Scopes.AuditRead)]
    public override Task<VerifyChainResponse> VerifyChain(VerifyChainRequest r, ServerCallContext c) =>
        Forward(c, Scopes.AuditRead, a => downstream.Audit.VerifyChainAsync(r, downstream.Options(c, a)));

    [SystemScope(Scopes.AuditReview)]
    public override Task<RunPrivacyReviewResponse> RunPrivacyReview(RunPrivacyReviewRequest r, ServerCallContext c) =>
        Forward(c, Scopes.AuditReview, a => downstream.Audit.RunPrivacyReviewAsync(r, downstream.Options(c, a)));

    [SystemScope(Scopes.AuditReview)]
    public override Task<ListPrivacyReviewCasesResponse> ListPrivacyReviewCases(ListPrivacyReviewCasesRequest r, ServerCallContext c) =>
        Forward(c, Scopes.AuditReview, a => downstream.Audit.ListPrivacyReviewCasesAsync(r, downstream.Options(c, a)));

    [SystemScope(Scopes.AuditReview)]
    public override Task<GetPrivacyReviewCaseResponse> GetPrivacyReviewCase(GetPrivacyReviewCaseRequest r, ServerCallContext c) =>
        Forward(c, Scopes.AuditReview, a => downstream.Audit.GetPrivacyReviewCaseAsync(r, downstream.Options(c, a)));

    [SystemScope(Scopes.AuditReview)]
    public override Task<UpdatePrivacyReviewCaseResponse> UpdatePrivacyReviewCase(UpdatePrivacyReviewCaseRequest r, ServerCallContext c) =>
        Forward(c, Scopes.AuditReview, a => downstream.Audit.UpdatePrivacyReviewCaseAsync(r, downstream.Options(c, a)));
}
