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
    /// <summary>The professional's patient-bound access token. UNAUTHENTICATED when missing or invalid.</summary>
    public Task<VerifiedAccessToken> RequireAccessAsync(ServerCallContext context) =>
        access.VerifyAsync(context.RequestHeaders, context.CancellationToken);

    /// <summary>A system client's token carrying <paramref name="scope"/>; PERMISSION_DENIED without the scope.</summary>
    public async Task<VerifiedSystemToken> RequireSystemAsync(ServerCallContext context, string scope)
    {
        var token = await systems.VerifyAsync(context.RequestHeaders, context.CancellationToken);
        if (!token.HasScope(scope))
        {
            throw new PermissionDeniedException("SCOPE_NOT_PERMITTED", $"This call needs a system token with the '{scope}' scope.");
        }

        return token;
    }

    /// <summary>A signed-in professional's session token (not patient-bound).</summary>
    public async Task<Actor> RequireSessionAsync(ServerCallContext context)
    {
        var jwt = await tokens.VerifyAsync(BearerToken.From(context.RequestHeaders), TokenTypes.Session, context.CancellationToken);
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
    /// Either a professional's session token or a system token with <paramref name="scope"/>:
    /// for calls IG officers make by hand and feeds make automatically (consent changes,
    /// audit queries).
    /// </summary>
    public async Task<Actor> RequireSessionOrSystemAsync(ServerCallContext context, string scope)
    {
        var token = BearerToken.From(context.RequestHeaders);
        try
        {
            return await RequireSessionAsync(context);
        }
        catch (UnauthenticatedException) when (token is not null)
        {
            return (await RequireSystemAsync(context, scope)).ToActor();
        }
    }
}
