using System.Security.Claims;
using Lcr.ServiceDefaults;
using Microsoft.AspNetCore.Authorization;

namespace Lcr.Security;

/// <summary>
/// The coarse check of who may call a method: a verified token of one of <see cref="Kinds"/>,
/// and, for a system token, <see cref="Scope"/>. The fine checks (patient, purpose,
/// relationship, consent, category, organisation link) stay in application code, where the
/// data is known.
/// </summary>
/// <param name="Kinds">The token kinds admitted (<see cref="TokenTypes"/>).</param>
/// <param name="Scope">The scope a system token must carry; null when any admitted token will do.</param>
public sealed record CallerRequirement(IReadOnlySet<string> Kinds, string? Scope) : IAuthorizationRequirement
{
    /// <summary>
    /// The refusal for <paramref name="principal"/>, or null when it passes: UNAUTHENTICATED
    /// TOKEN_MISSING without a verified caller, UNAUTHENTICATED TOKEN_WRONG_TYPE for a token of
    /// another kind (as the verifier of the kind needed refuses it), PERMISSION_DENIED
    /// SCOPE_NOT_PERMITTED (metadata <c>required_scope</c>) for a system token without the scope.
    /// </summary>
    public LcrException? Check(ClaimsPrincipal principal)
    {
        if (principal.Caller() is not { } caller)
        {
            return PlatformTokenVerifier.Refuse(TokenRefusal.Missing, "No bearer token was presented.");
        }

        if (!Kinds.Contains(caller.TokenType))
        {
            return PlatformTokenVerifier.Refuse(TokenRefusal.WrongType, "The token is not of the kind this call needs.");
        }

        return Scope is not null && caller.TokenType == TokenTypes.System && !caller.Scopes.Contains(Scope)
            ? ScopeNotPermitted(Scope)
            : null;
    }

    /// <summary>PERMISSION_DENIED SCOPE_NOT_PERMITTED naming the scope needed.</summary>
    public static PermissionDeniedException ScopeNotPermitted(string scope)
    {
        var e = new PermissionDeniedException("SCOPE_NOT_PERMITTED", $"This call needs a system token with the '{scope}' scope.");
        e.Metadata["required_scope"] = scope;
        return e;
    }
}
