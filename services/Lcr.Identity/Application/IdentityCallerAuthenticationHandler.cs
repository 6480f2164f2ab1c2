using System.Text.Encodings.Web;
using Lcr.Identity.Persistence;
using Lcr.Security;
using Lcr.ServiceDefaults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Lcr.Identity.Application;

/// <summary>
/// Identity's authentication of its own callers' bearer tokens: session and system tokens,
/// verified locally with identity's own published keys (the handler the gateway uses), then
/// re-checked against the database, because identity is where a session or client ends: a
/// professional must still be active with the session's security stamp (else SESSION_REVOKED),
/// a system client must still be active (else CLIENT_DISABLED). The professional's row, with the
/// role assignments the session may act in, is kept for the call (<see cref="CallerAuthenticator"/>).
/// </summary>
public sealed class IdentityCallerAuthenticationHandler(
    IOptionsMonitor<PlatformTokenAuthenticationOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    AccessTokenVerifier access, SystemTokenVerifier systems, PlatformTokenVerifier tokens, IdentityDbContext db)
    : PlatformTokenAuthenticationHandler(options, logger, encoder, access, systems, tokens)
{
    protected override async Task<Exception?> RecheckAsync(CallerIdentity caller, CancellationToken cancellationToken)
    {
        if (caller.Verified is VerifiedSystemToken client)
        {
            var active = await db.SystemClients.AsNoTracking()
                .AnyAsync(c => c.ClientId == client.ClientId && c.Active, cancellationToken);
            return active ? null : new UnauthenticatedException("CLIENT_DISABLED", "The system client is no longer active.");
        }

        var jwt = (JsonWebToken)caller.Verified;
        if (!Guid.TryParse(jwt.Subject, out var id) ||
            !jwt.TryGetPayloadValue<string>(TokenClaims.SecurityStamp, out var stamp))
        {
            return new UnauthenticatedException(TokenRefusal.ClaimsInvalid, "The session token's claims are incomplete.");
        }

        var professional = await db.Professionals.AsNoTracking().Include(p => p.RoleAssignments)
            .SingleOrDefaultAsync(p => p.Id == id, cancellationToken);
        if (professional is null || !professional.Active || professional.SecurityStamp.ToString() != stamp)
        {
            return new UnauthenticatedException("SESSION_REVOKED", "The session is no longer valid; sign in again.");
        }

        // A federated session acts in the one role assignment it was exchanged for.
        if (jwt.TryGetPayloadValue<string>(Domain.SessionClaims.RoleAssignment, out var bound))
        {
            professional.RoleAssignments = professional.RoleAssignments.Where(r => r.Id.ToString() == bound).ToList();
        }

        Context.Features.Set(professional);
        return null;
    }
}
