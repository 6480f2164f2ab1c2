using Grpc.Core;
using Lcr.Audit.V1;
using Lcr.Common.V1;
using Lcr.Consent.V1;
using Lcr.Gateway.Access;
using Lcr.Gateway.Downstream;
using Lcr.Gateway.Patients;
using Lcr.Gateway.Records;
using Lcr.Security;
using Lcr.ServiceDefaults;
using Microsoft.Extensions.Options;

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
public sealed class ConsentGateway(CallerAuthenticator auth, GovernancePolicy policy, ConsentService.ConsentServiceClient consent, AuditTrail audit,
    PatientResolver patients)
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
        var died = DeathDateAsync(nhsNumber, c); // not redirected: only the date of death is recorded on the event
        var result = await call(actor);
        var e = audit.For(actor, nhsNumber, action, PurposeOfUse.InformationGovernance);
        e.Seal = seal;
        e.PatientDeathDate = await died;
        await audit.CommitAsync(e, c);
        return result;
    }

    /// <summary>
    /// The patient's date of death for a consent change's event, looked up alongside the change;
    /// demographics failing leaves it off (a recorded change is never refused for it).
    /// </summary>
    private async Task<Date?> DeathDateAsync(string nhsNumber, ServerCallContext c)
    {
        try
        {
            return (await patients.ResolveAsync(nhsNumber, c)).DeathDate;
        }
        catch (Exception e) when (e is LcrException or RpcException)
        {
            return null;
        }
    }

    /// <summary>
    /// A superseded number gets the pointer (audited); a merged record's consent comes with each
    /// merged number's (<c>merged_consents</c>, the gateway's own set: a caller's is replaced).
    /// </summary>
    [GovernanceCaller(Scopes.ConsentRead)]
    public override async Task<GetConsentResponse> GetConsent(GetConsentRequest r, ServerCallContext c)
    {
        var (actor, patient) = await patients.RequireGovernanceReadAsync(c, r.NhsNumber, Scopes.ConsentRead, auth, policy);
        var forwarded = new GetConsentRequest { NhsNumber = r.NhsNumber, MergedNhsNumbers = { patient.MergedNhsNumbers } };
        return await consent.GetConsentAsync(forwarded, DownstreamCalls.As(actor, c));
    }

    /// <summary>
    /// Each number's history is read under that number, a superseded one included: a choice stays
    /// recorded (and is changed) under the number it was made under, so the IG officer who lifts it
    /// must be able to read how it came about. The link may rest on any merged number.
    /// </summary>
    [GovernanceCaller(Scopes.ConsentRead)]
    public override async Task<ListConsentHistoryResponse> ListConsentHistory(ListConsentHistoryRequest r, ServerCallContext c)
    {
        NhsNumber.Require(r.NhsNumber);
        var patient = await patients.ResolveAsync(r.NhsNumber, c);
        var actor = await auth.RequireGovernanceAsync(c, r.NhsNumber, Scopes.ConsentRead, policy, patient.MergedNhsNumbers);
        return await consent.ListConsentHistoryAsync(r, DownstreamCalls.As(actor, c));
    }

    [GovernanceCaller(Scopes.ConsentWrite)]
    public override Task<RecordOptOutResponse> RecordOptOut(RecordOptOutRequest r, ServerCallContext c) =>
        Change(c, r.NhsNumber, a => consent.RecordOptOutAsync(r, DownstreamCalls.As(a, c)));

    [GovernanceCaller(Scopes.ConsentWrite)]
    public override Task<WithdrawOptOutResponse> WithdrawOptOut(WithdrawOptOutRequest r, ServerCallContext c) =>
        Change(c, r.NhsNumber, a => consent.WithdrawOptOutAsync(r, DownstreamCalls.As(a, c)));

    [GovernanceCaller(Scopes.ConsentWrite)]
    public override Task<AddRestrictionResponse> AddRestriction(AddRestrictionRequest r, ServerCallContext c) =>
        Change(c, r.NhsNumber, a => consent.AddRestrictionAsync(r, DownstreamCalls.As(a, c)));

    [GovernanceCaller(Scopes.ConsentWrite)]
    public override Task<RemoveRestrictionResponse> RemoveRestriction(RemoveRestrictionRequest r, ServerCallContext c) =>
        Change(c, r.NhsNumber, a => consent.RemoveRestrictionAsync(r, DownstreamCalls.As(a, c)));

    [GovernanceCaller(Scopes.ConsentWrite)]
    public override Task<SealRecordResponse> SealRecord(SealRecordRequest r, ServerCallContext c) =>
        Change(c, r.NhsNumber, a => consent.SealRecordAsync(r, DownstreamCalls.As(a, c)),
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
        var before = await consent.GetConsentAsync(new GetConsentRequest { NhsNumber = r.NhsNumber }, DownstreamCalls.As(actor, c));
        var result = await consent.UnsealRecordAsync(r, DownstreamCalls.As(actor, c));
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
        Change(c, r.NhsNumber, a => consent.StartAccessLogReviewAsync(r, DownstreamCalls.As(a, c)));

    [GovernanceCaller(Scopes.ConsentWrite)]
    public override Task<CompleteAccessLogReviewResponse> CompleteAccessLogReview(CompleteAccessLogReviewRequest r, ServerCallContext c) =>
        Change(c, r.NhsNumber, a => consent.CompleteAccessLogReviewAsync(r, DownstreamCalls.As(a, c)));

    public override Task<EvaluateAccessResponse> EvaluateAccess(EvaluateAccessRequest r, ServerCallContext c) =>
        throw new PermissionDeniedException("INTERNAL_ONLY", "Access decisions are made inside the platform on every read.");

    public override Task<SealRecordAutomaticallyResponse> SealRecordAutomatically(SealRecordAutomaticallyRequest r, ServerCallContext c) =>
        throw new PermissionDeniedException("INTERNAL_ONLY", "Only the platform seals a record automatically, after a view surge.");
}

/// <summary>
/// Audit queries and privacy review. One patient's trail: an IG officer's patient-bound access
/// token or a system with <c>audit.read</c>; queries across patients (by actor, chain
/// verification, running a privacy review): systems with <c>audit.read</c> / <c>audit.review</c>.
/// Privacy alerts (the review cases): a privacy officer's session (the organisations where they
/// hold the role, <see cref="PrivacyOfficerPolicy"/>) or a system with <c>audit.review</c> (its own
/// organisation); the platform's IG organisations see every organisation's. Another
/// organisation's case is NOT_FOUND, as an unknown one; every decision is audited against the
/// case's patient. The audit service records every query against the log itself.
/// RecordEvents is internal: only platform services write the audit log.
/// </summary>
[AuthenticatedCaller]
public sealed class AuditGateway(CallerAuthenticator auth, GovernancePolicy policy, PrivacyOfficerPolicy officers, AuditService.AuditServiceClient auditService,
    AuditTrail audit, IOptions<GovernanceOptions> governance, PatientResolver patients) : AuditService.AuditServiceBase
{
    /// <summary>Calls across patients (by actor, chain verification, privacy review): system clients with the scope.</summary>
    private async Task<T> Forward<T>(ServerCallContext c, string scope, Func<Actor, AsyncUnaryCall<T>> call, bool platformOnly = false)
    {
        var actor = (await auth.RequireSystemAsync(c, scope)).ToActor();
        if (platformOnly && !OrganisationLinkRule.ActsForEveryone(actor.Organisation?.OdsCode ?? string.Empty, governance.Value))
        {
            throw PlatformGovernanceOnly();
        }

        return await call(actor);
    }

    /// <summary>
    /// PERMISSION_DENIED PLATFORM_GOVERNANCE_ONLY: a call whose answer spans every organisation's
    /// patients and staff (events by actor, a privacy review run) by a system of another organisation
    /// than the platform's IG team; an organisation works its own privacy alerts instead.
    /// </summary>
    public static PermissionDeniedException PlatformGovernanceOnly() => new("PLATFORM_GOVERNANCE_ONLY",
        "Only the platform's information-governance team may run this across organisations; work your organisation's privacy alerts instead.");

    public override Task<RecordEventsResponse> RecordEvents(RecordEventsRequest r, ServerCallContext c) =>
        throw new PermissionDeniedException("INTERNAL_ONLY", "Only platform services write the audit log.");

    /// <summary>
    /// A superseded number gets the pointer (audited); a merged record's trail includes each merged
    /// number's events (the gateway's own set: a caller's <c>merged_nhs_numbers</c> is replaced, so
    /// nobody widens their reach by naming numbers).
    /// </summary>
    [GovernanceCaller(Scopes.AuditRead)]
    public override async Task<ListEventsByPatientResponse> ListEventsByPatient(ListEventsByPatientRequest r, ServerCallContext c)
    {
        var (actor, patient) = await patients.RequireGovernanceReadAsync(c, r.NhsNumber, Scopes.AuditRead, auth, policy);
        var forwarded = r.Clone();
        forwarded.MergedNhsNumbers.Clear();
        forwarded.MergedNhsNumbers.AddRange(patient.MergedNhsNumbers);
        return await auditService.ListEventsByPatientAsync(forwarded, DownstreamCalls.As(actor, c));
    }

    [SystemScope(Scopes.AuditRead)]
    public override Task<ListEventsByActorResponse> ListEventsByActor(ListEventsByActorRequest r, ServerCallContext c) =>
        Forward(c, Scopes.AuditRead, a => auditService.ListEventsByActorAsync(r, DownstreamCalls.As(a, c)), platformOnly: true);

    [SystemScope(Scopes.AuditRead)]
    public override Task<VerifyChainResponse> VerifyChain(VerifyChainRequest r, ServerCallContext c) =>
        Forward(c, Scopes.AuditRead, a => auditService.VerifyChainAsync(r, DownstreamCalls.As(a, c)));

    [SystemScope(Scopes.AuditReview)]
    public override Task<RunPrivacyReviewResponse> RunPrivacyReview(RunPrivacyReviewRequest r, ServerCallContext c) =>
        Forward(c, Scopes.AuditReview, a => auditService.RunPrivacyReviewAsync(r, DownstreamCalls.As(a, c)), platformOnly: true);

    [SessionOrSystemScope(Scopes.AuditReview)]
    public override async Task<ListPrivacyReviewCasesResponse> ListPrivacyReviewCases(ListPrivacyReviewCasesRequest r, ServerCallContext c)
    {
        var caller = await officers.ResolveAsync(c);
        if (PrivacyAlertScope.Restrict(r, caller.Organisations) is not { } restricted)
        {
            return new ListPrivacyReviewCasesResponse();
        }

        return await auditService.ListPrivacyReviewCasesAsync(restricted, DownstreamCalls.As(caller.Actor, c));
    }

    [SessionOrSystemScope(Scopes.AuditReview)]
    public override async Task<GetPrivacyReviewCaseResponse> GetPrivacyReviewCase(GetPrivacyReviewCaseRequest r, ServerCallContext c)
    {
        var caller = await officers.ResolveAsync(c);
        return await auditService.GetPrivacyReviewCaseAsync(r, DownstreamCalls.As(caller.Actor, c, caller.ScopeHeaders()));
    }

    [SessionOrSystemScope(Scopes.AuditReview)]
    public override async Task<UpdatePrivacyReviewCaseResponse> UpdatePrivacyReviewCase(UpdatePrivacyReviewCaseRequest r, ServerCallContext c)
    {
        var caller = await officers.ResolveAsync(c);

        // The officer decides in their privacy officer role at the case's organisation: with roles at
        // several, read the case first to know which (a case they may not see stays NOT_FOUND below).
        var organisation = caller.RoleCodes.Count == 1 ? caller.RoleCodes.Keys.Single() : null;
        if (caller.RoleCodes.Count > 1 && Guid.TryParse(r.ReviewCase?.Id, out _))
        {
            try
            {
                organisation = (await auditService.GetPrivacyReviewCaseAsync(
                    new GetPrivacyReviewCaseRequest { CaseId = r.ReviewCase.Id }, DownstreamCalls.As(caller.Actor, c, caller.ScopeHeaders()))).ReviewCase.Organisation?.OdsCode;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
            {
                // The update answers the same NOT_FOUND (after naming any bad field first).
            }
        }

        // The audit service validates first, then answers a case of another organisation NOT_FOUND, as an unknown one.
        var actor = caller.ActingFor(organisation);
        var updated = await auditService.UpdatePrivacyReviewCaseAsync(r, DownstreamCalls.As(actor, c, caller.ScopeHeaders()));
        await audit.CommitAsync(audit.For(actor, updated.ReviewCase.NhsNumber, AuditAction.PrivacyReviewDecision, PurposeOfUse.InformationGovernance), c);
        return updated;
    }
}
