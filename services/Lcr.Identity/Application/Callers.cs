using Grpc.Core;
using Lcr.Identity.Persistence;
using Lcr.Security;
using Lcr.ServiceDefaults;

namespace Lcr.Identity.Application;

/// <summary>A system client calling identity, verified from its system token.</summary>
public sealed record SystemCaller(string ClientId, string OrganisationOds, IReadOnlySet<string> Scopes);

/// <summary>
/// The caller of one of identity's own calls, as authentication verified and re-checked it
/// (<see cref="IdentityCallerAuthenticationHandler"/>: once per call) and the method's policy
/// admitted it (<c>[SessionCaller]</c>, <c>[SystemScope(...)]</c>, <c>[SessionOrSystemCaller]</c>
/// on <c>IdentityGrpcService</c>). Each Require* reads <c>HttpContext.User</c>; should a method
/// lack its policy, the same check refuses here with the same status.
/// </summary>
public sealed class CallerAuthenticator
{
    private static readonly CallerRequirement Session = new(new HashSet<string>(StringComparer.Ordinal) { TokenTypes.Session }, null);
    private static readonly CallerRequirement AnySystem = new(new HashSet<string>(StringComparer.Ordinal) { TokenTypes.System }, null);
    private static readonly CallerRequirement SessionOrSystem = new(new HashSet<string>(StringComparer.Ordinal) { TokenTypes.Session, TokenTypes.System }, null);

    /// <summary>The signed-in professional, with the role assignments the session may act in.</summary>
    public Task<ProfessionalRow> RequireProfessionalAsync(ServerCallContext context)
    {
        var http = context.GetHttpContext();
        Require(http.User, Session);
        return Task.FromResult(http.Features.Get<ProfessionalRow>()
            ?? throw new UnauthenticatedException("SESSION_REVOKED", "The session is no longer valid; sign in again."));
    }

    /// <summary>A system caller holding <paramref name="scope"/> (any of them, when several are given).</summary>
    public Task<SystemCaller> RequireScopeAsync(ServerCallContext context, params string[] scope)
    {
        var principal = context.GetHttpContext().User;
        Require(principal, AnySystem);
        var token = principal.SystemToken()!;
        if (!scope.Any(token.Scopes.Contains))
        {
            var e = new PermissionDeniedException("SCOPE_NOT_PERMITTED", $"This call needs the system scope {string.Join(" or ", scope)}.");
            e.Metadata["required_scope"] = string.Join(' ', scope);
            throw e;
        }

        return Task.FromResult(new SystemCaller(token.ClientId, token.OrganisationOdsCode, token.Scopes));
    }

    /// <summary>Any authenticated caller: a signed-in professional or an active system client.</summary>
    public Task RequireAnyAsync(ServerCallContext context)
    {
        Require(context.GetHttpContext().User, SessionOrSystem);
        return Task.CompletedTask;
    }

    private static void Require(System.Security.Claims.ClaimsPrincipal principal, CallerRequirement requirement)
    {
        if (requirement.Check(principal) is { } refusal)
        {
            throw refusal;
        }
    }
}
