using Grpc.Core;
using Lcr.Audit.V1;
using Lcr.Common.V1;
using Lcr.Gateway.Access;
using Lcr.Gateway.Downstream;
using Lcr.Gateway.Records;
using Lcr.Identity.V1;
using Lcr.Security;
using Lcr.ServiceDefaults;

namespace Lcr.Gateway.Api;

/// <summary>
/// The identity service's calls, exposed at the front door. Identity is the authority on its
/// own tokens and scopes, so the caller's <c>authorization</c> header is passed to it as is;
/// the gateway adds its internal credential (acting as the platform) and records every access
/// token issued or refused in the audit log, since the attempt itself is a look at whether a
/// professional may see a patient.
/// </summary>
public sealed class IdentityGateway(Downstream.Downstream downstream, AuditTrail audit, CallerAuthenticator authenticator)
    : IdentityService.IdentityServiceBase
{
    private Task<T> Forward<T>(ServerCallContext c, Func<IdentityService.IdentityServiceClient, CallOptions, AsyncUnaryCall<T>> call)
    {
        var extra = new Metadata();
        var auth = c.RequestHeaders.GetValue(BearerToken.Header);
        if (auth is not null)
        {
            extra.Add(BearerToken.Header, auth);
        }

        var options = downstream.Options(c, PlatformActor.Gateway, extra);
        return downstream.CallAsync(ServiceNames.Identity, () => call(downstream.Identity, options), c.CancellationToken);
    }

    public override Task<SignInResponse> SignIn(SignInRequest r, ServerCallContext c) => Forward(c, (x, o) => x.SignInAsync(r, o));
    public override Task<IssueSystemTokenResponse> IssueSystemToken(IssueSystemTokenRequest r, ServerCallContext c) => Forward(c, (x, o) => x.IssueSystemTokenAsync(r, o));

    public override Task<IssueAccessTokenResponse> IssueAccessToken(IssueAccessTokenRequest r, ServerCallContext c) =>
        AuditedIssue(c, r.NhsNumber, emergency: null, () => Forward(c, (x, o) => x.IssueAccessTokenAsync(r, o)));

    public override Task<IssueEmergencyAccessTokenResponse> IssueEmergencyAccessToken(IssueEmergencyAccessTokenRequest r, ServerCallContext c) =>
        AuditedIssue(c, r.NhsNumber, new EmergencyAccessDetail { ReasonCode = r.ReasonCode, ReasonText = r.ReasonText },
            () => Forward(c, (x, o) => x.IssueEmergencyAccessTokenAsync(r, o)));

    /// <summary>
    /// Records through identity (which keeps each feed within its own organisation), then commits
    /// one CARE_RELATIONSHIP_CHANGE event when something was created or changed, before replying:
    /// if it cannot be committed the feed gets UNAVAILABLE. A refusal for being outside the
    /// feed's organisation is recorded as a denied event for the patient.
    /// </summary>
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

    /// <summary>Ends through identity; a call that ended the relationship is audited before the reply.</summary>
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
    public override Task<ListSigningKeysResponse> ListSigningKeys(ListSigningKeysRequest r, ServerCallContext c) => Forward(c, (x, o) => x.ListSigningKeysAsync(r, o));
    public override Task<RotateSigningKeyResponse> RotateSigningKey(RotateSigningKeyRequest r, ServerCallContext c) => Forward(c, (x, o) => x.RotateSigningKeyAsync(r, o));

    /// <summary>
    /// Issues through identity, and records the outcome against the patient: TOKEN_ISSUED (or
    /// EMERGENCY_ACCESS) when granted, denied with the reason when identity refuses for lack of
    /// a care relationship or role. The professional comes from the session token.
    /// </summary>
    private async Task<T> AuditedIssue<T>(ServerCallContext c, string nhsNumber, EmergencyAccessDetail? emergency, Func<Task<T>> issue)
    {
        Actor? professional = null;
        try
        {
            professional = await authenticator.RequireSessionAsync(c);
        }
        catch (UnauthenticatedException)
        {
            // Identity refuses it too, with the same reason; nothing to audit without a professional.
        }

        var e = audit.For(professional ?? PlatformActor.Gateway, nhsNumber,
            emergency is null ? AuditAction.TokenIssued : AuditAction.EmergencyAccess,
            emergency is null ? PurposeOfUse.DirectCare : PurposeOfUse.EmergencyCare);
        if (emergency is not null)
        {
            e.EmergencyAccess = emergency;
        }

        T result;
        try
        {
            result = await issue();
        }
        catch (RpcException ex) when (professional is not null && NhsNumber.IsValid(nhsNumber) && ex.StatusCode == StatusCode.PermissionDenied)
        {
            var reason = emergency is null ? AuditDenialReason.NoCareRelationship : AuditDenialReason.EmergencyAccessNotPermitted;
            await audit.RecordDenialAsync(e, reason, c);
            throw;
        }

        if (professional is not null)
        {
            // A token that cannot be audited is not handed out.
            await audit.CommitAsync(e, c);
        }

        return result;
    }
}
