using Grpc.Core;
using Lcr.Identity.Application;
using Lcr.Identity.Application.Federation;
using Lcr.Identity.Domain;
using Lcr.Identity.V1;
using Lcr.Security;
using Lcr.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace Lcr.Identity.Api;

/// <summary>
/// The gRPC face of the identity service: authenticates the caller as each call's group
/// requires (see identity.proto), then hands over to the use case. No other logic.
/// </summary>
[InternalCaller]
public sealed class IdentityGrpcService(
    CallerAuthenticator callers,
    SignInService signIn,
    FederatedSignInService federated,
    JoinerService joiners,
    SignInRecordService signInRecord,
    AccessService access,
    RelationshipService relationships,
    SelfClaimService selfClaims,
    OrganisationLinkService links,
    ActiveRoleAssignmentService activeRoles,
    DirectoryService directory,
    SystemClientService clients,
    SigningKeyRing keys,
    SigningKeyCache localKeyCache,
    IOptions<IdentityTokenOptions> tokenOptions) : IdentityService.IdentityServiceBase
{
    public override Task<SignInResponse> SignIn(SignInRequest request, ServerCallContext context) =>
        signIn.SignInAsync(request, ClientAddress.Read(context), context.CancellationToken);

    public override Task<ExchangeFederatedTokenResponse> ExchangeFederatedToken(ExchangeFederatedTokenRequest request, ServerCallContext context) =>
        federated.ExchangeAsync(request, context.CancellationToken);

    public override Task<IssueSystemTokenResponse> IssueSystemToken(IssueSystemTokenRequest request, ServerCallContext context) =>
        signIn.IssueSystemTokenAsync(request, context.CancellationToken);

    [SessionCaller]
    public override async Task<IssueAccessTokenResponse> IssueAccessToken(IssueAccessTokenRequest request, ServerCallContext context) =>
        await access.IssueAsync(await callers.RequireProfessionalAsync(context), request, context.CancellationToken, SessionActivities.Of(context));

    [SessionCaller]
    public override async Task<IssueEmergencyAccessTokenResponse> IssueEmergencyAccessToken(IssueEmergencyAccessTokenRequest request, ServerCallContext context) =>
        await access.IssueEmergencyAsync(await callers.RequireProfessionalAsync(context), request, context.CancellationToken, SessionActivities.Of(context));

    [SessionCaller]
    public override async Task<ClaimCareRelationshipResponse> ClaimCareRelationship(ClaimCareRelationshipRequest request, ServerCallContext context) =>
        await selfClaims.ClaimAsync(await callers.RequireProfessionalAsync(context), request, context.CancellationToken);

    [SystemScope(Scopes.RelationshipsWrite)]
    public override async Task<RecordCareRelationshipResponse> RecordCareRelationship(RecordCareRelationshipRequest request, ServerCallContext context) =>
        await relationships.RecordAsync(request, await callers.RequireScopeAsync(context, Scopes.RelationshipsWrite), context.CancellationToken);

    [SystemScope(Scopes.RelationshipsWrite)]
    public override async Task<EndCareRelationshipResponse> EndCareRelationship(EndCareRelationshipRequest request, ServerCallContext context) =>
        await relationships.EndAsync(request, await callers.RequireScopeAsync(context, Scopes.RelationshipsWrite), context.CancellationToken);

    [SystemScope(Scopes.RelationshipsRead)]
    public override async Task<ListCareRelationshipsResponse> ListCareRelationships(ListCareRelationshipsRequest request, ServerCallContext context) =>
        await relationships.ListAsync(request, await callers.RequireScopeAsync(context, Scopes.RelationshipsRead), context.CancellationToken);

    [SystemScope(Scopes.IdentityAdmin)]
    public override async Task<CreateOrganisationResponse> CreateOrganisation(CreateOrganisationRequest request, ServerCallContext context)
    {
        await callers.RequireScopeAsync(context, Scopes.IdentityAdmin);
        return new() { Organisation = await directory.CreateOrganisationAsync(request.Organisation, context.CancellationToken) };
    }

    [SessionOrSystemCaller]
    public override async Task<GetOrganisationResponse> GetOrganisation(GetOrganisationRequest request, ServerCallContext context)
    {
        await callers.RequireAnyAsync(context);
        return new() { Organisation = await directory.GetOrganisationAsync(request.OdsCode, context.CancellationToken) };
    }

    [SessionOrSystemCaller]
    public override async Task<ListOrganisationsResponse> ListOrganisations(ListOrganisationsRequest request, ServerCallContext context)
    {
        await callers.RequireAnyAsync(context);
        return await directory.ListOrganisationsAsync(request, context.CancellationToken);
    }

    [SystemScope(Scopes.IdentityAdmin)]
    public override async Task<UpdateOrganisationResponse> UpdateOrganisation(UpdateOrganisationRequest request, ServerCallContext context) =>
        new() { Organisation = await directory.UpdateOrganisationAsync(request, await callers.RequireScopeAsync(context, Scopes.IdentityAdmin), context.CancellationToken) };

    [SystemScope(Scopes.IdentityAdmin)]
    public override async Task<CreateProfessionalResponse> CreateProfessional(CreateProfessionalRequest request, ServerCallContext context)
    {
        await callers.RequireScopeAsync(context, Scopes.IdentityAdmin);
        return new() { Professional = await directory.CreateProfessionalAsync(request, context.CancellationToken) };
    }

    [SystemScope(Scopes.IdentityAdmin)]
    public override async Task<GetProfessionalResponse> GetProfessional(GetProfessionalRequest request, ServerCallContext context)
    {
        await callers.RequireScopeAsync(context, Scopes.IdentityAdmin);
        return new() { Professional = await directory.GetProfessionalAsync(request.ProfessionalId, context.CancellationToken) };
    }

    [SystemScope(Scopes.IdentityAdmin)]
    public override async Task<ListProfessionalsResponse> ListProfessionals(ListProfessionalsRequest request, ServerCallContext context)
    {
        await callers.RequireScopeAsync(context, Scopes.IdentityAdmin);
        return await directory.ListProfessionalsAsync(request, context.CancellationToken);
    }

    [SystemScope(Scopes.IdentityAdmin)]
    public override async Task<UpdateProfessionalResponse> UpdateProfessional(UpdateProfessionalRequest request, ServerCallContext context)
    {
        await callers.RequireScopeAsync(context, Scopes.IdentityAdmin);
        return new() { Professional = await directory.UpdateProfessionalAsync(request, context.CancellationToken) };
    }

    [SystemScope(Scopes.IdentityAdmin)]
    public override async Task<CreateRoleAssignmentResponse> CreateRoleAssignment(CreateRoleAssignmentRequest request, ServerCallContext context)
    {
        await callers.RequireScopeAsync(context, Scopes.IdentityAdmin);
        return new() { RoleAssignment = await directory.CreateRoleAssignmentAsync(request.RoleAssignment, context.CancellationToken) };
    }

    [SystemScope(Scopes.IdentityAdmin)]
    public override async Task<EndRoleAssignmentResponse> EndRoleAssignment(EndRoleAssignmentRequest request, ServerCallContext context)
    {
        await callers.RequireScopeAsync(context, Scopes.IdentityAdmin);
        return new() { RoleAssignment = await directory.EndRoleAssignmentAsync(request.RoleAssignmentId, context.CancellationToken) };
    }

    [SystemScope(Scopes.IdentityAdmin)]
    public override async Task<CreateSystemClientResponse> CreateSystemClient(CreateSystemClientRequest request, ServerCallContext context)
    {
        await callers.RequireScopeAsync(context, Scopes.IdentityAdmin);
        return await clients.CreateAsync(request.SystemClient, context.CancellationToken);
    }

    [SystemScope(Scopes.IdentityAdmin)]
    public override async Task<GetSystemClientResponse> GetSystemClient(GetSystemClientRequest request, ServerCallContext context)
    {
        await callers.RequireScopeAsync(context, Scopes.IdentityAdmin);
        return new() { SystemClient = await clients.GetAsync(request.ClientId, context.CancellationToken) };
    }

    [SystemScope(Scopes.IdentityAdmin)]
    public override async Task<ListSystemClientsResponse> ListSystemClients(ListSystemClientsRequest request, ServerCallContext context)
    {
        await callers.RequireScopeAsync(context, Scopes.IdentityAdmin);
        return await clients.ListAsync(request, context.CancellationToken);
    }

    [SystemScope(Scopes.IdentityAdmin)]
    public override async Task<UpdateSystemClientResponse> UpdateSystemClient(UpdateSystemClientRequest request, ServerCallContext context)
    {
        await callers.RequireScopeAsync(context, Scopes.IdentityAdmin);
        return new() { SystemClient = await clients.UpdateAsync(request, context.CancellationToken) };
    }

    [SystemScope(Scopes.IdentityAdmin)]
    public override async Task<RotateSystemClientSecretResponse> RotateSystemClientSecret(RotateSystemClientSecretRequest request, ServerCallContext context)
    {
        await callers.RequireScopeAsync(context, Scopes.IdentityAdmin);
        return await clients.RotateSecretAsync(request.ClientId, context.CancellationToken);
    }

    public override async Task<ListSigningKeysResponse> ListSigningKeys(ListSigningKeysRequest request, ServerCallContext context)
    {
        var rows = await keys.ListPublishedAsync(context.CancellationToken);
        var response = new ListSigningKeysResponse { CacheMaxAgeSeconds = (int)tokenOptions.Value.PublishedKeysCacheAge.TotalSeconds };
        response.Keys.AddRange(rows.Select(Mapping.ToProto));
        return response;
    }

    [SystemScope(Scopes.KeysRotate)]
    public override async Task<RotateSigningKeyResponse> RotateSigningKey(RotateSigningKeyRequest request, ServerCallContext context)
    {
        await callers.RequireScopeAsync(context, Scopes.KeysRotate);
        if (!Identifiers.TryGuid(request.RequestId, out var requestId))
        {
            throw new InvalidArgumentException("request_id", "is required: a client-chosen UUID");
        }

        var (current, previous) = await keys.RotateAsync(requestId, context.CancellationToken);
        localKeyCache.Invalidate();
        return new RotateSigningKeyResponse { CurrentKey = Mapping.ToProto(current), PreviousKid = previous };
    }

    /// <summary>Internal: only the gateway reaches identity, and it refuses this from outside.</summary>
    public override Task<CheckOrganisationLinkResponse> CheckOrganisationLink(CheckOrganisationLinkRequest request, ServerCallContext context) =>
        links.CheckAsync(request, context.CancellationToken);

    /// <summary>Internal: only the gateway reaches identity, and it refuses this from outside.</summary>
    public override Task<ListActiveRoleAssignmentsResponse> ListActiveRoleAssignments(ListActiveRoleAssignmentsRequest request, ServerCallContext context) =>
        activeRoles.ListAsync(request, context.CancellationToken);

    [SystemScope(Scopes.IdentityAdmin)]
    public override async Task<ListFederatedJoinersResponse> ListFederatedJoiners(ListFederatedJoinersRequest request, ServerCallContext context) =>
        await joiners.ListAsync(request, await callers.RequireScopeAsync(context, Scopes.IdentityAdmin), context.CancellationToken);

    [SystemScope(Scopes.IdentityAdmin)]
    public override async Task<LinkFederatedJoinerResponse> LinkFederatedJoiner(LinkFederatedJoinerRequest request, ServerCallContext context) =>
        new() { Joiner = await joiners.LinkAsync(request, await callers.RequireScopeAsync(context, Scopes.IdentityAdmin), context.CancellationToken) };

    [SystemScope(Scopes.IdentityAdmin)]
    public override async Task<DismissFederatedJoinerResponse> DismissFederatedJoiner(DismissFederatedJoinerRequest request, ServerCallContext context) =>
        new() { Joiner = await joiners.DismissAsync(request, await callers.RequireScopeAsync(context, Scopes.IdentityAdmin), context.CancellationToken) };

    [SystemScope(Scopes.IdentityAdmin)]
    public override async Task<ListFederatedSignInEventsResponse> ListFederatedSignInEvents(ListFederatedSignInEventsRequest request, ServerCallContext context) =>
        await signInRecord.ListAsync(request, await callers.RequireScopeAsync(context, Scopes.IdentityAdmin), context.CancellationToken);

    [SystemScope(Scopes.IdentityAdmin)]
    public override async Task<VerifyFederatedSignInEventsResponse> VerifyFederatedSignInEvents(VerifyFederatedSignInEventsRequest request, ServerCallContext context) =>
        await signInRecord.VerifyAsync(await callers.RequireScopeAsync(context, Scopes.IdentityAdmin), context.CancellationToken);
}
