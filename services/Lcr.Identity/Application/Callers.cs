using Grpc.Core;
using Lcr.Identity.Persistence;
using Lcr.Security;
using Lcr.ServiceDefaults;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Lcr.Identity.Application;

/// <summary>A system client calling identity, verified from its system token.</summary>
public sealed record SystemCaller(string ClientId, string OrganisationOds, IReadOnlySet<string> Scopes);

/// <summary>
/// Authenticates callers of identity's own calls from <c>authorization: Bearer</c> metadata,
/// verifying session and system tokens locally with identity's own published keys (the
/// same verifier code the gateway uses). A professional's session is re-checked against the
/// database (active, security stamp); a system client must still be active.
/// </summary>
public sealed class CallerAuthenticator(PlatformTokenVerifier verifier, IdentityDbContext db)
{
    /// <summary>The signed-in professional, with role assignments loaded.</summary>
    public async Task<ProfessionalRow> RequireProfessionalAsync(ServerCallContext context)
    {
        var jwt = await verifier.VerifyAsync(BearerToken.From(context.RequestHeaders), TokenTypes.Session, context.CancellationToken);
        if (!Guid.TryParse(jwt.Subject, out var id) ||
            !jwt.TryGetPayloadValue<string>(TokenClaims.SecurityStamp, out var stamp))
        {
            throw new UnauthenticatedException(TokenRefusal.ClaimsInvalid, "The session token's claims are incomplete.");
        }

        var professional = await db.Professionals.AsNoTracking().Include(p => p.RoleAssignments)
            .SingleOrDefaultAsync(p => p.Id == id, context.CancellationToken);
        if (professional is null || !professional.Active || professional.SecurityStamp.ToString() != stamp)
        {
            throw new UnauthenticatedException("SESSION_REVOKED", "The session is no longer valid; sign in again.");
        }

        // A federated session acts in the one role assignment it was exchanged for.
        if (jwt.TryGetPayloadValue<string>(Domain.SessionClaims.RoleAssignment, out var bound))
        {
            professional.RoleAssignments = professional.RoleAssignments.Where(r => r.Id.ToString() == bound).ToList();
        }

        return professional;
    }

    /// <summary>A system caller holding <paramref name="scope"/> (any of them, when several are given).</summary>
    public async Task<SystemCaller> RequireScopeAsync(ServerCallContext context, params string[] scope)
    {
        var jwt = await verifier.VerifyAsync(BearerToken.From(context.RequestHeaders), TokenTypes.System, context.CancellationToken);
        var token = ParseSystem(jwt);
        var active = await db.SystemClients.AsNoTracking()
            .AnyAsync(c => c.ClientId == token.ClientId && c.Active, context.CancellationToken);
        if (!active)
        {
            throw new UnauthenticatedException("CLIENT_DISABLED", "The system client is no longer active.");
        }

        if (!scope.Any(token.Scopes.Contains))
        {
            var e = new PermissionDeniedException("SCOPE_NOT_PERMITTED", $"This call needs the system scope {string.Join(" or ", scope)}.");
            e.Metadata["required_scope"] = string.Join(' ', scope);
            throw e;
        }

        return token;
    }

    /// <summary>Any authenticated caller: a signed-in professional or an active system client.</summary>
    public async Task RequireAnyAsync(ServerCallContext context)
    {
        var token = BearerToken.From(context.RequestHeaders);
        var typ = TryPeekType(token);
        if (typ == TokenTypes.Session)
        {
            await RequireProfessionalAsync(context);
        }
        else
        {
            var jwt = await verifier.VerifyAsync(token, TokenTypes.System, context.CancellationToken);
            var client = ParseSystem(jwt);
            if (!await db.SystemClients.AsNoTracking().AnyAsync(c => c.ClientId == client.ClientId && c.Active, context.CancellationToken))
            {
                throw new UnauthenticatedException("CLIENT_DISABLED", "The system client is no longer active.");
            }
        }
    }

    private static SystemCaller ParseSystem(JsonWebToken jwt)
    {
        jwt.TryGetPayloadValue<string>(TokenClaims.Organisation, out var org);
        jwt.TryGetPayloadValue<string>(TokenClaims.Scope, out var scope);
        if (string.IsNullOrEmpty(org))
        {
            throw new UnauthenticatedException(TokenRefusal.ClaimsInvalid, "The system token names no organisation.");
        }

        return new SystemCaller(jwt.Subject, org,
            (scope ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal));
    }

    private static string? TryPeekType(string? token)
    {
        try
        {
            return token is null ? null : new JsonWebToken(token).Typ;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }
}
