using System.Security.Claims;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Lcr.Security;

/// <summary>
/// The verified caller of one request, as ASP.NET Core authentication hands it to
/// authorization and to handlers (<c>HttpContext.User</c>): the kind of token (its
/// <c>typ</c>, also the identity's authentication type), the verified subject, the system
/// scopes, and the verification's own result (<see cref="VerifiedAccessToken"/>,
/// <see cref="VerifiedSystemToken"/> or the session's JWT) so that nothing verifies the token
/// a second time (<see cref="CallerPrincipal"/> reads it).
/// </summary>
public sealed class CallerIdentity : ClaimsIdentity
{
    /// <summary>The claim type of each system scope.</summary>
    public const string ScopeClaim = TokenClaims.Scope;

    public CallerIdentity(string tokenType, string subject, object verified, IEnumerable<string> scopes)
        : base(ClaimsOf(tokenType, subject, scopes), tokenType, JwtRegisteredClaimNames.Sub, null)
    {
        TokenType = tokenType;
        Subject = subject;
        Verified = verified;
        Scopes = scopes.ToHashSet(StringComparer.Ordinal);
    }

    private CallerIdentity(CallerIdentity other)
        : base(other)
    {
        TokenType = other.TokenType;
        Subject = other.Subject;
        Verified = other.Verified;
        Scopes = other.Scopes;
    }

    /// <summary>The token's verified kind (<see cref="TokenTypes"/>).</summary>
    public string TokenType { get; }

    /// <summary>The verified subject: professional id or system client id.</summary>
    public string Subject { get; }

    /// <summary>What verification produced; immutable.</summary>
    public object Verified { get; }

    /// <summary>The scopes of a system token (empty for other kinds).</summary>
    public IReadOnlySet<string> Scopes { get; }

    public override ClaimsIdentity Clone() => new CallerIdentity(this);

    private static IEnumerable<Claim> ClaimsOf(string tokenType, string subject, IEnumerable<string> scopes) =>
        new[] { new Claim(JwtRegisteredClaimNames.Sub, subject), new Claim("typ", tokenType) }
            .Concat(scopes.Select(s => new Claim(ScopeClaim, s)));
}
