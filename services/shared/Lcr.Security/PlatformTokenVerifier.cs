using Lcr.ServiceDefaults;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Lcr.Security;

/// <summary>
/// Verifies any platform token against the published keys: the JWT must be a JWS signed
/// with ES256 by a published key, with the expected <c>typ</c>, issuer and audience, and be
/// within its lifetime (bounded clock skew). Every refusal is an
/// <see cref="UnauthenticatedException"/> whose reason is one of <see cref="TokenRefusal"/>.
/// Messages never contain the token or its claims.
/// <para>
/// A token that passed the signature, issuer, audience and type checks is remembered by its
/// exact text (<see cref="VerifiedTokenMemo{T}"/>, <see cref="TokenVerificationOptions.VerifiedTokenMemoEntries"/>)
/// together with the key object that verified it: a caller presenting the same access token
/// on every read costs a lookup instead of an ECDSA verification. On every use, remembered or
/// not, the lifetime is checked against the clock and the key must still be the one published
/// under its id (a key withdrawn from the published set, or a refreshed key set, sends the
/// token through full verification again).
/// </para>
/// </summary>
public sealed class PlatformTokenVerifier(SigningKeyCache keys, IOptions<TokenVerificationOptions> options, TimeProvider clock)
{
    /// <summary>Tokens longer than this are refused unread.</summary>
    public const int MaxTokenLength = 16 * 1024;

    private static readonly JsonWebTokenHandler Handler = new() { MapInboundClaims = false };

    private readonly VerifiedTokenMemo<Verified> _verified = new(options.Value.VerifiedTokenMemoEntries, options.Value.EffectiveClockSkew);

    /// <summary>Verifies <paramref name="token"/> as a token of <paramref name="expectedType"/> (one of <see cref="TokenTypes"/>).</summary>
    public async Task<JsonWebToken> VerifyAsync(string? token, string expectedType, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(token))
        {
            throw Refuse(TokenRefusal.Missing, "No bearer token was presented.");
        }

        if (_verified.TryGet(token, clock.GetUtcNow(), out var known) && string.Equals(known.Type, expectedType, StringComparison.Ordinal))
        {
            if (ReferenceEquals(await keys.FindAsync(known.Jwt.Kid, cancellationToken), known.Key))
            {
                return known.Jwt;
            }

            _verified.Forget(token); // the key was withdrawn or the key set refreshed: verify again
        }

        JsonWebToken jwt;
        try
        {
            if (token.Length > MaxTokenLength || token.Count(c => c == '.') != 2)
            {
                throw Refuse(TokenRefusal.Malformed, "The bearer token is not a signed JWT.");
            }

            jwt = Handler.ReadJsonWebToken(token);
        }
        catch (Exception e) when (e is ArgumentException or SecurityTokenException)
        {
            throw Refuse(TokenRefusal.Malformed, "The bearer token is not a signed JWT.");
        }

        // Only ES256: refuses "none", HS256 signed with the public key as a shared secret
        // (algorithm confusion) and anything else, before any key is looked at.
        if (!string.Equals(jwt.Alg, TokenTypes.Algorithm, StringComparison.Ordinal))
        {
            throw Refuse(TokenRefusal.AlgorithmNotAllowed, "The token's signing algorithm is not accepted.");
        }

        if (!string.Equals(jwt.Typ, expectedType, StringComparison.Ordinal))
        {
            throw Refuse(TokenRefusal.WrongType, "The token is not of the kind this call needs.");
        }

        if (string.IsNullOrEmpty(jwt.Kid) || jwt.Kid.Length > 200)
        {
            throw Refuse(TokenRefusal.UnknownKey, "The token names no known signing key.");
        }

        var key = await keys.FindAsync(jwt.Kid, cancellationToken)
            ?? throw Refuse(TokenRefusal.UnknownKey, "The token names no known signing key.");

        var o = options.Value;
        var result = await Handler.ValidateTokenAsync(jwt, new TokenValidationParameters
        {
            IssuerSigningKey = key,
            TryAllIssuerSigningKeys = false,
            RequireSignedTokens = true,
            ValidAlgorithms = [TokenTypes.Algorithm],
            ValidTypes = [expectedType],
            ValidateIssuer = true,
            ValidIssuer = o.Issuer,
            ValidateAudience = true,
            ValidAudience = o.Audience,
            ValidateLifetime = false, // checked below against the injected clock
            ValidateIssuerSigningKey = false,
        });

        if (!result.IsValid)
        {
            throw result.Exception switch
            {
                SecurityTokenInvalidSignatureException or SecurityTokenSignatureKeyNotFoundException =>
                    Refuse(TokenRefusal.BadSignature, "The token's signature does not verify."),
                SecurityTokenInvalidIssuerException => Refuse(TokenRefusal.WrongIssuer, "The token was not issued by the platform."),
                SecurityTokenInvalidAudienceException => Refuse(TokenRefusal.WrongAudience, "The token is not meant for this service."),
                SecurityTokenInvalidAlgorithmException => Refuse(TokenRefusal.AlgorithmNotAllowed, "The token's signing algorithm is not accepted."),
                SecurityTokenInvalidTypeException => Refuse(TokenRefusal.WrongType, "The token is not of the kind this call needs."),
                _ => Refuse(TokenRefusal.Malformed, "The bearer token could not be verified."),
            };
        }

        var now = clock.GetUtcNow();
        var skew = o.EffectiveClockSkew;
        if (!jwt.TryGetPayloadValue<long>(JwtRegisteredClaimNames.Exp, out var exp))
        {
            throw Refuse(TokenRefusal.ClaimsInvalid, "The token has no expiry.");
        }

        var expires = DateTimeOffset.FromUnixTimeSeconds(exp);
        if (now >= expires + skew)
        {
            throw Refuse(TokenRefusal.Expired, "The token has expired; request a new one.");
        }

        DateTimeOffset? notBefore = jwt.TryGetPayloadValue<long>(JwtRegisteredClaimNames.Nbf, out var nbf) ? DateTimeOffset.FromUnixTimeSeconds(nbf) : null;
        if (notBefore is { } n && now + skew < n)
        {
            throw Refuse(TokenRefusal.NotYetValid, "The token is not valid yet.");
        }

        if (string.IsNullOrEmpty(jwt.Subject) || string.IsNullOrEmpty(jwt.Id))
        {
            throw Refuse(TokenRefusal.ClaimsInvalid, "The token lacks its subject or id.");
        }

        _verified.Remember(token, new Verified(jwt, expectedType, key), expires, notBefore, now);
        return jwt;
    }

    /// <summary>How many verified tokens are remembered now (for tests).</summary>
    internal int RememberedCount => _verified.Count;

    /// <summary>A token that passed full verification as <paramref name="Type"/> with <paramref name="Key"/>.</summary>
    private sealed record Verified(JsonWebToken Jwt, string Type, SecurityKey Key);

    internal static UnauthenticatedException Refuse(string reason, string message) => new(reason, message);
}
