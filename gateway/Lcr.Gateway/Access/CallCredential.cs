using System.Runtime.ExceptionServices;
using Grpc.Core;
using Lcr.Security;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Lcr.Gateway.Access;

/// <summary>
/// The bearer token of one call, verified once, as the kind it declares (its JOSE <c>typ</c>):
/// the rate limiter keys the caller's bucket on the verified subject, and the handler's
/// <see cref="CallerAuthenticator"/> reuses the outcome (the verified token or the refusal)
/// instead of verifying the signature a second time. Kept in the call's
/// <see cref="ServerCallContext.UserState"/>, so it lives exactly as long as the call.
/// </summary>
public sealed class CallCredential
{
    private static readonly object StateKey = new();

    private readonly object? _verified;
    private readonly ExceptionDispatchInfo? _refusal;

    private CallCredential(string? declaredType, object? verified, ExceptionDispatchInfo? refusal)
    {
        DeclaredType = declaredType;
        _verified = verified;
        _refusal = refusal;
    }

    /// <summary>The token's declared <c>typ</c> (unverified; null without a readable JWT).</summary>
    public string? DeclaredType { get; }

    /// <summary>
    /// The subject of a token that verified (signature, issuer, audience, lifetime, claims), or
    /// null: no token, not a JWT, an unknown kind, or any refusal. Only this may name a caller.
    /// </summary>
    public string? VerifiedSubject => _verified switch
    {
        VerifiedAccessToken a => a.ProfessionalId,
        VerifiedSystemToken s => s.ClientId,
        JsonWebToken session => session.Subject,
        _ => null,
    };

    /// <summary>
    /// The verified token when it was verified as <paramref name="type"/>; throws the refusal
    /// (or dependency failure) verification gave; null when the token was not verified as that
    /// kind, so the caller verifies it as the kind it needs (which refuses it, e.g. WRONG_TYPE).
    /// </summary>
    internal T? As<T>(string type)
        where T : class
    {
        if (!string.Equals(DeclaredType, type, StringComparison.Ordinal))
        {
            return null;
        }

        _refusal?.Throw();
        return _verified as T;
    }

    /// <summary>The call's credential, verifying its bearer token on first use.</summary>
    internal static async ValueTask<CallCredential> OfAsync(ServerCallContext context,
        AccessTokenVerifier access, SystemTokenVerifier systems, PlatformTokenVerifier tokens)
    {
        if (context.UserState.TryGetValue(StateKey, out var known) && known is CallCredential credential)
        {
            return credential;
        }

        var raw = BearerToken.From(context.RequestHeaders);
        var type = DeclaredTypeOf(raw);
        try
        {
            object? verified = type switch
            {
                TokenTypes.Access => await access.VerifyAsync(raw, context.CancellationToken),
                TokenTypes.System => await systems.VerifyAsync(raw, context.CancellationToken),
                TokenTypes.Session => await tokens.VerifyAsync(raw, TokenTypes.Session, context.CancellationToken),
                _ => null,
            };
            credential = new CallCredential(type, verified, null);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Refused (UNAUTHENTICATED) or no keys to be had (UNAVAILABLE): the handler answers
            // with exactly this, as if it had verified the token itself.
            credential = new CallCredential(type, null, ExceptionDispatchInfo.Capture(e));
        }

        context.UserState[StateKey] = credential;
        return credential;
    }

    private static string? DeclaredTypeOf(string? raw)
    {
        if (raw is null || raw.Length > PlatformTokenVerifier.MaxTokenLength)
        {
            return null;
        }

        try
        {
            return new JsonWebToken(raw).Typ;
        }
        catch (Exception e) when (e is ArgumentException or SecurityTokenException or System.Text.Json.JsonException)
        {
            return null; // not a JWT: verification refuses it as malformed
        }
    }
}
