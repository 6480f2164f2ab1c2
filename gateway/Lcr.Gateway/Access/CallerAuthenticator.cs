using Grpc.Core;
using Lcr.Common.V1;
using Lcr.Security;
using Lcr.ServiceDefaults;

namespace Lcr.Gateway.Access;

/// <summary>
/// The caller of an external call, as ASP.NET Core authentication verified it
/// (<see cref="PlatformTokenAuthenticationHandler"/>: once per call, locally with identity's
/// published keys, no call to identity per request) and the method's policy admitted it
/// (<c>[AccessTokenCaller]</c>, <c>[SystemScope(...)]</c>, <c>[SessionCaller]</c>,
/// <c>[GovernanceCaller(...)]</c> on the gRPC services). Each Require* reads the verified token
/// from <c>HttpContext.User</c>; should a method lack its policy, the same check refuses here
/// with the same status (defence in depth), so a handler never sees the wrong kind of caller.
/// </summary>
public sealed class CallerAuthenticator
{
    private static readonly CallerRequirement Access = Require(CallerPolicies.AccessToken);
    private static readonly CallerRequirement Session = Require(CallerPolicies.Session);

    private static CallerRequirement Require(string policy) =>
        CallerPolicies.RequirementOf(policy, new HashSet<string>(StringComparer.Ordinal))!;

    private static System.Security.Claims.ClaimsPrincipal Principal(ServerCallContext context) => context.GetHttpContext().User;

    private static CallerIdentity Checked(ServerCallContext context, CallerRequirement requirement) =>
        requirement.Check(Principal(context)) is { } refusal ? throw refusal : Principal(context).Caller()!;

    /// <summary>The professional's patient-bound access token. UNAUTHENTICATED when missing or invalid.</summary>
    public Task<VerifiedAccessToken> RequireAccessAsync(ServerCallContext context) =>
        Task.FromResult(RequireAccess(Principal(context)));

    /// <summary>
    /// The same check for a request of another door on the gateway (the FHIR API): the access
    /// token the authentication handler verified for this request, or its refusal.
    /// </summary>
    public VerifiedAccessToken RequireAccess(System.Security.Claims.ClaimsPrincipal user) =>
        Access.Check(user) is { } refusal ? throw refusal : (VerifiedAccessToken)user.Caller()!.Verified;

    /// <summary>A system client's token carrying <paramref name="scope"/>; PERMISSION_DENIED without the scope.</summary>
    public Task<VerifiedSystemToken> RequireSystemAsync(ServerCallContext context, string scope) =>
        Task.FromResult((VerifiedSystemToken)Checked(context, Require(CallerPolicies.SystemScope(scope))).Verified);

    /// <summary>A signed-in professional's session token (not patient-bound).</summary>
    public Task<Actor> RequireSessionAsync(ServerCallContext context)
    {
        var jwt = (Microsoft.IdentityModel.JsonWebTokens.JsonWebToken)Checked(context, Session).Verified;
        return Task.FromResult(new Actor
        {
            Kind = ActorKind.Professional,
            Id = jwt.Subject,
            DisplayName = jwt.TryGetPayloadValue<string>(TokenClaims.Name, out var name) ? name : string.Empty,
            Organisation = new OrganisationReference
            {
                OdsCode = jwt.TryGetPayloadValue<string>(TokenClaims.Organisation, out var org) ? org : string.Empty,
            },
            RoleCode = jwt.TryGetPayloadValue<string>(TokenClaims.Role, out var role) ? role : string.Empty,
        });
    }

    /// <summary>
    /// Information-governance calls about one patient (consent changes, that patient's audit
    /// trail): an IG officer's access token bound to the patient, issued for information
    /// governance or a subject access request (session tokens carry no role, so the role comes
    /// from the patient-bound token), or a system token with <paramref name="scope"/>.
    /// </summary>
    /// <remarks>
    /// The caller's organisation must be linked to the patient (<see cref="GovernancePolicy.RequireLinkedAsync"/>):
    /// for a system this is the rule itself; for an IG officer it was checked when the token was
    /// issued and is checked again here (defence in depth: links almost never go away, only a
    /// re-registration moves the registered practice, so this mostly refuses a token issued
    /// through a path that skipped the check).
    /// </remarks>
    /// <param name="merged">The numbers merged into <paramref name="nhsNumber"/> (the door's resolution): a link through any counts.</param>
    public async Task<Actor> RequireGovernanceAsync(ServerCallContext context, string nhsNumber, string scope, GovernancePolicy policy,
        IReadOnlyList<string>? merged = null)
    {
        var (actor, purpose, tokenId) = await GovernanceCallerAsync(context, nhsNumber, scope, policy);
        var attempt = policy.Attempt(actor, nhsNumber, scope, purpose);
        attempt.AccessTokenId = tokenId;
        attempt.MergedNhsNumbers.AddRange(merged ?? []);
        await policy.RequireLinkedAsync(actor.Organisation?.OdsCode ?? string.Empty, attempt, context);
        return actor;
    }

    private async Task<(Actor Actor, PurposeOfUse Purpose, string TokenId)> GovernanceCallerAsync(ServerCallContext context, string nhsNumber, string scope, GovernancePolicy policy)
    {
        if (Principal(context).Caller()?.TokenType == TokenTypes.System)
        {
            return ((await RequireSystemAsync(context, scope)).ToActor(), PurposeOfUse.InformationGovernance, string.Empty);
        }

        var token = await RequireAccessAsync(context);
        if (!string.Equals(token.NhsNumber, nhsNumber, StringComparison.Ordinal))
        {
            throw new PermissionDeniedException("PATIENT_MISMATCH", "The access token was issued for a different patient.");
        }

        if (token.Purpose is not (PurposeOfUse.InformationGovernance or PurposeOfUse.SubjectAccessRequest))
        {
            throw new PermissionDeniedException("PURPOSE_NOT_PERMITTED",
                "This call needs an access token issued for information governance or a subject access request.");
        }

        var actor = token.ToActor();
        policy.RequireInformationGovernance(actor);
        return (actor, token.Purpose, token.TokenId);
    }
}
