using Grpc.Core;
using Lcr.Audit.V1;
using Lcr.Common.V1;
using Lcr.Gateway.Access;
using Lcr.Gateway.Downstream;
using Lcr.Gateway.Patients;
using Lcr.Gateway.Records;
using Lcr.Identity.V1;
using Lcr.Security;
using Lcr.ServiceDefaults;
using Microsoft.AspNetCore.Authorization;

namespace Lcr.Gateway.Api;

/// <summary>
/// The identity service's calls, exposed at the front door. Identity is the authority on its
/// own tokens and scopes, so the caller's <c>authorization</c> header is passed to it as is;
/// the gateway adds its internal credential (acting as the platform) and records every access
/// token issued or refused in the audit log, since the attempt itself is a look at whether a
/// professional may see a patient.
/// </summary>
[AuthenticatedCaller]
public sealed class IdentityGateway(Lcr.Identity.V1.IdentityService.IdentityServiceClient identity, AuditTrail audit, CallerAuthenticator authenticator,
    AccessTokenVerifier accessTokens, GovernancePolicy governance, PatientResolver patients)
    : IdentityService.IdentityServiceBase
{
    private Task<T> Forward<T>(ServerCallContext c, Func<IdentityService.IdentityServiceClient, CallOptions, AsyncUnaryCall<T>> call,
        bool withClientAddress = false)
    {
        var extra = new Metadata();
        var auth = c.RequestHeaders.GetValue(BearerToken.Header);
        if (auth is not null)
        {
            extra.Add(BearerToken.Header, auth);
        }

        if (withClientAddress)
        {
            // The address of this connection, for identity's sign-in throttling: never a header the caller sent
            // (only the authorization header is passed on), so a caller cannot pose as another source.
            extra.Add(ClientAddress.Header, ClientAddress.FromPeer(c.Peer));
        }

        var options = DownstreamCalls.As(PlatformActor.Gateway, c, extra);
        return call(identity, options).ResponseAsync;
    }

    [AllowAnonymous]
    public override Task<SignInResponse> SignIn(SignInRequest r, ServerCallContext c) => Forward(c, (x, o) => x.SignInAsync(r, o), withClientAddress: true);
    [AllowAnonymous]
    public override Task<IssueSystemTokenResponse> IssueSystemToken(IssueSystemTokenRequest r, ServerCallContext c) => Forward(c, (x, o) => x.IssueSystemTokenAsync(r, o));
    [AllowAnonymous]
    public override Task<ExchangeFederatedTokenResponse> ExchangeFederatedToken(ExchangeFederatedTokenRequest r, ServerCallContext c) => Forward(c, (x, o) => x.ExchangeFederatedTokenAsync(r, o));

    /// <summary>
    /// The number is resolved first: a superseded number gets the pointer, a deceased patient's
    /// direct care past its period is refused (both audited), and identity is given the gateway's
    /// own merged set (a caller's <c>merged_nhs_numbers</c> is replaced, never trusted), so a
    /// relationship recorded under a merged number counts.
    /// </summary>
    public override async Task<IssueAccessTokenResponse> IssueAccessToken(IssueAccessTokenRequest r, ServerCallContext c)
    {
        var patient = await ResolveForIssueAsync(c, r.NhsNumber, r.Purpose, AuditAction.TokenIssued, emergency: null);
        var forwarded = r.Clone();
        forwarded.MergedNhsNumbers.Clear();
        forwarded.MergedNhsNumbers.AddRange(patient?.MergedNhsNumbers ?? []);
        return await AuditedIssue(c, r.NhsNumber, r.Purpose, emergency: null, () => Forward(c, (x, o) => x.IssueAccessTokenAsync(forwarded, o)),
            t => t.AccessToken, patient);
    }

    /// <summary>As <see cref="IssueAccessToken"/>: resolved first; emergency care of a deceased patient ends with direct care.</summary>
    public override async Task<IssueEmergencyAccessTokenResponse> IssueEmergencyAccessToken(IssueEmergencyAccessTokenRequest r, ServerCallContext c)
    {
        var emergency = new EmergencyAccessDetail { ReasonCode = r.ReasonCode, ReasonText = r.ReasonText };
        var patient = await ResolveForIssueAsync(c, r.NhsNumber, PurposeOfUse.EmergencyCare, AuditAction.EmergencyAccess, emergency);
        return await AuditedIssue(c, r.NhsNumber, PurposeOfUse.EmergencyCare, emergency,
            () => Forward(c, (x, o) => x.IssueEmergencyAccessTokenAsync(r, o)), t => t.AccessToken, patient);
    }

    /// <summary>
    /// Resolves a valid number before a token is asked of identity (a malformed one is left to
    /// identity, which names the field). A superseded number or ended direct care is refused here,
    /// audited against the professional of the session; when the gateway cannot verify the session
    /// nothing is told (identity answers the caller) and the issued token is held to the same
    /// rules in <see cref="AuditedIssue{T}"/>.
    /// </summary>
    private async Task<PatientResolution?> ResolveForIssueAsync(ServerCallContext c, string nhsNumber, PurposeOfUse purpose, AuditAction action,
        EmergencyAccessDetail? emergency)
    {
        if (!NhsNumber.IsValid(nhsNumber))
        {
            return null;
        }

        var patient = await patients.ResolveProbedAsync(nhsNumber, c);
        if ((patient.Superseded || patients.CareHasEnded(patient, purpose)) && await SessionProfessionalAsync(c) is { } professional)
        {
            var e = audit.For(professional, nhsNumber, action, purpose);
            if (emergency is not null && !string.IsNullOrWhiteSpace(emergency.ReasonText))
            {
                e.EmergencyAccess = emergency;
            }

            await patients.RequireAccessibleAsync(patient, purpose, e, c);
        }

        return patient;
    }

    public override Task<CheckOrganisationLinkResponse> CheckOrganisationLink(CheckOrganisationLinkRequest r, ServerCallContext c) =>
        throw new PermissionDeniedException("INTERNAL_ONLY", "Organisation links are checked inside the platform.");

    public override Task<ListActiveRoleAssignmentsResponse> ListActiveRoleAssignments(ListActiveRoleAssignmentsRequest r, ServerCallContext c) =>
        throw new PermissionDeniedException("INTERNAL_ONLY", "Role permissions are checked inside the platform.");

    /// <summary>
    /// Records through identity (which keeps each feed within its own organisation), then commits
    /// one CARE_RELATIONSHIP_CHANGE event when something was created or changed, before replying:
    /// if it cannot be committed the feed gets UNAVAILABLE. A refusal for being outside the
    /// feed's organisation is recorded as a denied event for the patient.
    /// </summary>
    [SystemScope(Scopes.RelationshipsWrite)]
    public override async Task<RecordCareRelationshipResponse> RecordCareRelationship(RecordCareRelationshipRequest r, ServerCallContext c)
    {
        var system = (await authenticator.RequireSystemAsync(c, Scopes.RelationshipsWrite)).ToActor();
        RecordCareRelationshipResponse response;
        try
        {
            response = await Forward(c, (x, o) => x.RecordCareRelationshipAsync(r, o));
        }
        catch (RpcException ex) when (CareRelationshipEvents.IsOutsideOrganisation(ex) && NhsNumber.IsValid(r.CareRelationship?.NhsNumber))
        {
            await audit.RecordDenialAsync(CareRelationshipEvents.Attempt(audit, system, r.CareRelationship!.NhsNumber), AuditDenialReason.OutsideOrganisation, c);
            throw;
        }

        if (response.Changed)
        {
            await audit.CommitAsync(CareRelationshipEvents.Changed(audit, system, response.CareRelationship), c);
        }

        return response;
    }

    /// <summary>
    /// A professional claims a care relationship themselves, through identity with their session.
    /// Every outcome is in the patient's trail before the reply: a claim as one permitted
    /// SELF_CLAIMED_RELATIONSHIP event (the same event again when a retry gets the same claim
    /// back, so it is recorded once); if it cannot be committed the caller gets UNAVAILABLE
    /// (the claim stands; retrying records it). A refusal by identity is recorded as denied.
    /// </summary>
    [SessionCaller]
    public override async Task<ClaimCareRelationshipResponse> ClaimCareRelationship(ClaimCareRelationshipRequest r, ServerCallContext c)
    {
        var professional = await authenticator.RequireSessionAsync(c);
        if (NhsNumber.IsValid(r.NhsNumber))
        {
            // A superseded number gets the pointer; a relationship claimed after death is not direct care.
            var patient = await patients.ResolveAsync(r.NhsNumber, c);
            var attempt = audit.For(professional, r.NhsNumber, AuditAction.SelfClaimedRelationship, PurposeOfUse.DirectCare);
            await patients.RefuseIfSupersededAsync(patient, attempt, c);
            if (patient.Deceased)
            {
                throw await audit.DenyAsync(attempt, AuditDenialReason.PatientDeceased, DeceasedRule.ClaimRefusal(), c);
            }
        }

        ClaimCareRelationshipResponse response;
        try
        {
            response = await Forward(c, (x, o) => x.ClaimCareRelationshipAsync(r, o));
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.PermissionDenied && NhsNumber.IsValid(r.NhsNumber))
        {
            await audit.RecordDenialAsync(SelfClaimEvents.Refused(audit, professional, r.NhsNumber, ex), DenialReason(ex), c);
            throw;
        }

        await audit.CommitAsync(SelfClaimEvents.Claimed(audit, professional, response.CareRelationship), c);
        return response;
    }

    /// <summary>Ends through identity; a call that ended the relationship is audited before the reply.</summary>
    [SystemScope(Scopes.RelationshipsWrite)]
    public override async Task<EndCareRelationshipResponse> EndCareRelationship(EndCareRelationshipRequest r, ServerCallContext c)
    {
        var system = (await authenticator.RequireSystemAsync(c, Scopes.RelationshipsWrite)).ToActor();
        var response = await Forward(c, (x, o) => x.EndCareRelationshipAsync(r, o));
        if (response.Changed)
        {
            await audit.CommitAsync(CareRelationshipEvents.Changed(audit, system, response.CareRelationship), c);
        }

        return response;
    }

    /// <summary>Identity answers with the relationships that concern the calling system's organisation only.</summary>
    public override Task<ListCareRelationshipsResponse> ListCareRelationships(ListCareRelationshipsRequest r, ServerCallContext c) => Forward(c, (x, o) => x.ListCareRelationshipsAsync(r, o));
    public override Task<CreateOrganisationResponse> CreateOrganisation(CreateOrganisationRequest r, ServerCallContext c) => Forward(c, (x, o) => x.CreateOrganisationAsync(r, o));
    public override Task<GetOrganisationResponse> GetOrganisation(GetOrganisationRequest r, ServerCallContext c) => Forward(c, (x, o) => x.GetOrganisationAsync(r, o));
    public override Task<UpdateOrganisationResponse> UpdateOrganisation(UpdateOrganisationRequest r, ServerCallContext c) => Forward(c, (x, o) => x.UpdateOrganisationAsync(r, o));
    public override Task<ListOrganisationsResponse> ListOrganisations(ListOrganisationsRequest r, ServerCallContext c) => Forward(c, (x, o) => x.ListOrganisationsAsync(r, o));
    public override Task<CreateProfessionalResponse> CreateProfessional(CreateProfessionalRequest r, ServerCallContext c) => Forward(c, (x, o) => x.CreateProfessionalAsync(r, o));
    public override Task<GetProfessionalResponse> GetProfessional(GetProfessionalRequest r, ServerCallContext c) => Forward(c, (x, o) => x.GetProfessionalAsync(r, o));
    public override Task<ListProfessionalsResponse> ListProfessionals(ListProfessionalsRequest r, ServerCallContext c) => Forward(c, (x, o) => x.ListProfessionalsAsync(r, o));
    public override Task<UpdateProfessionalResponse> UpdateProfessional(UpdateProfessionalRequest r, ServerCallContext c) => Forward(c, (x, o) => x.UpdateProfessionalAsync(r, o));
    public override Task<CreateRoleAssignmentResponse> CreateRoleAssignment(CreateRoleAssignmentRequest r, ServerCallContext c) => Forward(c, (x, o) => x.CreateRoleAssignmentAsync(r, o));
    public override Task<EndRoleAssignmentResponse> EndRoleAssignment(EndRoleAssignmentRequest r, ServerCallContext c) => Forward(c, (x, o) => x.EndRoleAssignmentAsync(r, o));
    public override Task<CreateSystemClientResponse> CreateSystemClient(CreateSystemClientRequest r, ServerCallContext c) => Forward(c, (x, o) => x.CreateSystemClientAsync(r, o));
    public override Task<GetSystemClientResponse> GetSystemClient(GetSystemClientRequest r, ServerCallContext c) => Forward(c, (x, o) => x.GetSystemClientAsync(r, o));
    public override Task<ListSystemClientsResponse> ListSystemClients(ListSystemClientsRequest r, ServerCallContext c) => Forward(c, (x, o) => x.ListSystemClientsAsync(r, o));
    public override Task<UpdateSystemClientResponse> UpdateSystemClient(UpdateSystemClientRequest r, ServerCallContext c) => Forward(c, (x, o) => x.UpdateSystemClientAsync(r, o));
    public override Task<RotateSystemClientSecretResponse> RotateSystemClientSecret(RotateSystemClientSecretRequest r, ServerCallContext c) => Forward(c, (x, o) => x.RotateSystemClientSecretAsync(r, o));
    [AllowAnonymous]
    public override Task<ListSigningKeysResponse> ListSigningKeys(ListSigningKeysRequest r, ServerCallContext c) => Forward(c, (x, o) => x.ListSigningKeysAsync(r, o));
    public override Task<RotateSigningKeyResponse> RotateSigningKey(RotateSigningKeyRequest r, ServerCallContext c) => Forward(c, (x, o) => x.RotateSigningKeyAsync(r, o));
    public override Task<ListFederatedJoinersResponse> ListFederatedJoiners(ListFederatedJoinersRequest r, ServerCallContext c) => Forward(c, (x, o) => x.ListFederatedJoinersAsync(r, o));
    public override Task<LinkFederatedJoinerResponse> LinkFederatedJoiner(LinkFederatedJoinerRequest r, ServerCallContext c) => Forward(c, (x, o) => x.LinkFederatedJoinerAsync(r, o));
    public override Task<DismissFederatedJoinerResponse> DismissFederatedJoiner(DismissFederatedJoinerRequest r, ServerCallContext c) => Forward(c, (x, o) => x.DismissFederatedJoinerAsync(r, o));
    public override Task<ListFederatedSignInEventsResponse> ListFederatedSignInEvents(ListFederatedSignInEventsRequest r, ServerCallContext c) => Forward(c, (x, o) => x.ListFederatedSignInEventsAsync(r, o));
    public override Task<VerifyFederatedSignInEventsResponse> VerifyFederatedSignInEvents(VerifyFederatedSignInEventsRequest r, ServerCallContext c) => Forward(c, (x, o) => x.VerifyFederatedSignInEventsAsync(r, o));

    /// <summary>
    /// Issues through identity, and records every outcome against the patient.
    /// Issued: the event is built from the issued access token itself, verified here as every
    /// read verifies it (the professional, organisation, role, the token's real purpose, its id,
    /// and its care relationship or break-glass reason), so it is recorded even when the gateway
    /// could not verify the session that asked for it. A token for information governance or
    /// subject access is then held to the organisation rule: unless the token's organisation is
    /// linked to the patient (or is the platform's own IG team) it is recorded as denied
    /// ORGANISATION_NOT_LINKED and never handed out (identity chooses the role assignment, and
    /// so the organisation, and must not call the services that know the links). A token that
    /// cannot be audited is not handed out either.
    /// Refused by identity: recorded as denied, with the reason mapped from identity's
    /// ErrorInfo, whenever the gateway knows the professional from their session.
    /// </summary>
    private async Task<T> AuditedIssue<T>(ServerCallContext c, string nhsNumber, PurposeOfUse requested, EmergencyAccessDetail? emergency,
        Func<Task<T>> issue, Func<T, string> accessToken, PatientResolution? patient)
    {
        var action = emergency is null ? AuditAction.TokenIssued : AuditAction.EmergencyAccess;
        T result;
        try
        {
            result = await issue();
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.PermissionDenied && NhsNumber.IsValid(nhsNumber))
        {
            if (await SessionProfessionalAsync(c) is { } professional)
            {
                var e = audit.For(professional, nhsNumber, action, requested);
                if (emergency is not null && !string.IsNullOrWhiteSpace(emergency.ReasonText))
                {
                    e.EmergencyAccess = emergency;
                }

                await audit.RecordDenialAsync(e, DenialReason(ex), c);
            }

            throw;
        }

        VerifiedAccessToken token;
        try
        {
            token = await accessTokens.VerifyAsync(accessToken(result), c.CancellationToken);
        }
        catch (UnauthenticatedException ex)
        {
            throw new DependencyFailedException("IDENTITY_FAILED",
                "The identity service issued an access token the gateway cannot verify; quote the trace id to the platform team.", ex);
        }

        var issued = audit.For(token, nhsNumber, action);
        if (patient is not null)
        {
            // The issued token's own purpose is held to the number's rules (a session the gateway could not verify skipped them above).
            await patients.RequireAccessibleAsync(patient, token.Purpose, issued, c);
        }

        if (token.SealedRecordJustification is { Length: > 0 } justification)
        {
            // Break-glass meant for a sealed record: audit alerts the privacy officer at once.
            issued.SealedRecord = new SealedRecordAccess { BreakGlassJustification = justification };
        }

        if (token.Purpose is PurposeOfUse.InformationGovernance or PurposeOfUse.SubjectAccessRequest)
        {
            await governance.RequireLinkedAsync(token.OrganisationOdsCode, issued, c);
        }

        await audit.CommitAsync(issued, c);
        return result;
    }

    /// <summary>The professional of the call's session token, when the gateway can verify it.</summary>
    private async Task<Actor?> SessionProfessionalAsync(ServerCallContext c)
    {
        try
        {
            return await authenticator.RequireSessionAsync(c);
        }
        catch (Exception e) when (e is UnauthenticatedException or DependencyUnavailableException)
        {
            return null; // nobody to record the refusal against
        }
    }

    /// <summary>The audit denial reason for identity's refusal, from its ErrorInfo reason.</summary>
    internal static AuditDenialReason DenialReason(RpcException refusal) =>
        refusal.GetRpcStatus()?.GetDetail<Google.Rpc.ErrorInfo>()?.Reason switch
        {
            "NO_CARE_RELATIONSHIP" => AuditDenialReason.NoCareRelationship,
            "PURPOSE_NOT_PERMITTED" => AuditDenialReason.PurposeNotPermitted,
            "NO_ACTIVE_ROLE" => AuditDenialReason.NoActiveRole,
            "EMERGENCY_ACCESS_NOT_PERMITTED" => AuditDenialReason.EmergencyAccessNotPermitted,
            "ORGANISATION_NOT_LINKED" => AuditDenialReason.OrganisationNotLinked,
            "SELF_CLAIM_NOT_PERMITTED" => AuditDenialReason.SelfClaimNotPermitted,
            "SELF_CLAIMS_DISABLED" => AuditDenialReason.SelfClaimsDisabled,
            DeceasedRule.Reason => AuditDenialReason.PatientDeceased,
            _ => AuditDenialReason.Other,
        };
}
