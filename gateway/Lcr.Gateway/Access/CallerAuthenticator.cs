using Grpc.Core;
using Lcr.Common.V1;
using Lcr.Security;
using Lcr.ServiceDefaults;

namespace Lcr.Gateway.Access;

/// <summary>
/// Verifies the bearer token of an external call locally, with identity's published keys
/// (cached; no call to identity per request), and checks its kind: access tokens for record
/// reads, system tokens with a named scope for contributions and administration.
/// </summary>
public sealed class CallerAuthenticator(AccessTokenVerifier access, SystemTokenVerifier systems, PlatformTokenVerifier tokens)
{
    /// <summary>
    /// The call's bearer token, verified once per call as the kind it declares (the rate limiter
    /// asks first, to key the caller's bucket; each Require* below reuses the outcome).
    /// </summary>
    public ValueTask<CallCredential> CredentialAsync(ServerCallContext context) =>
        CallCredential.OfAsync(context, access, systems, tokens);

    /// <summary>
    /// Any bearer token that verifies (access, system or session); UNAUTHENTICATED with the
    /// verifier's reason otherwise. Runs before anything looks at the request's fields
    /// (<see cref="AuthenticatedCallInterceptor"/>), so a caller without a credential learns
    /// nothing about them: gateway.proto's step 1 comes first.
    /// </summary>
    public async Task AuthenticateAsync(ServerCallContext context)
    {
        var credential = await CredentialAsync(context);
        if (credential.VerifiedSubject is not null)
        {
            return;
        }

        // The refusal verification gave for the kind the token declares, or (no token, not a
        // JWT, a kind the platform does not issue) the access-token verifier's own refusal.
        _ = credential.As<object>(credential.DeclaredType ?? string.Empty);
        await access.VerifyAsync(context.RequestHeaders, context.CancellationToken);
    }

    /// <summary>The professional's patient-bound access token. UNAUTHENTICATED when missing or invalid.</summary>
    public async Task<VerifiedAccessToken> RequireAccessAsync(ServerCallContext context) =>
        (await CredentialAsync(context)).As<VerifiedAccessToken>(TokenTypes.Access)
        ?? await access.VerifyAsync(context.RequestHeaders, context.CancellationToken);

    /// <summary>A system client's token carrying <paramref name="scope"/>; PERMISSION_DENIED without the scope.</summary>
    public async Task<VerifiedSystemToken> RequireSystemAsync(ServerCallContext context, string scope)
    {
        var token = (await CredentialAsync(context)).As<VerifiedSystemToken>(TokenTypes.System)
            ?? await systems.VerifyAsync(context.RequestHeaders, context.CancellationToken);
        if (!token.HasScope(scope))
        {
            throw new PermissionDeniedException("SCOPE_NOT_PERMITTED", $"This call needs a system token with the '{scope}' scope.");
        }

        return token;
    }

    /// <summary>A signed-in professional's session token (not patient-bound).</summary>
    public async Task<Actor> RequireSessionAsync(ServerCallContext context)
    {
        var jwt = (await CredentialAsync(context)).As<Microsoft.IdentityModel.JsonWebTokens.JsonWebToken>(TokenTypes.Session)
            ?? await tokens.VerifyAsync(BearerToken.From(context.RequestHeaders), TokenTypes.Session, context.CancellationToken);
        return new Actor
        {
            Kind = ActorKind.Professional,
            Id = jwt.Subject,
            DisplayName = jwt.TryGetPayloadValue<string>(TokenClaims.Name, out var name) ? name : string.Empty,
            Organisation = new OrganisationReference
            {
                OdsCode = jwt.TryGetPayloadValue<string>(TokenClaims.Organisation, out var org) ? org : string.Empty,
            },
            RoleCode = jwt.TryGetPayloadValue<string>(TokenClaims.Role, out var role) ? role : string.Empty,
        };
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
    public async Task<Actor> RequireGovernanceAsync(ServerCallContext context, string nhsNumber, string scope, GovernancePolicy policy)
    {
        var (actor, purpose, tokenId) = await GovernanceCallerAsync(context, nhsNumber, scope, policy);
        var attempt = policy.Attempt(actor, nhsNumber, scope, purpose);
        attempt.AccessTokenId = tokenId;
        await policy.RequireLinkedAsync(actor.Organisation?.OdsCode ?? string.Empty, attempt, context);
        return actor;
    }

    private async Task<(Actor Actor, PurposeOfUse Purpose, string TokenId)> GovernanceCallerAsync(ServerCallContext context, string nhsNumber, string scope, GovernancePolicy policy)
    {
        if ((await CredentialAsync(context)).DeclaredType == TokenTypes.System)
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
