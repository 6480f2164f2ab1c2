namespace Lcr.Security;

/// <summary>
/// What a verifier expects of platform tokens. Bind from configuration (the gateway uses
/// section <c>Lcr:Tokens</c>); the issuer and audience must match the identity service's
/// <c>Identity:Tokens:Issuer</c> and <c>Identity:Tokens:Audience</c>.
/// </summary>
public sealed class TokenVerificationOptions
{
    /// <summary>The largest clock skew a verifier may be configured with.</summary>
    public static readonly TimeSpan MaxClockSkew = TimeSpan.FromMinutes(2);

    /// <summary>The expected <c>iss</c>.</summary>
    public string Issuer { get; set; } = "lcr-identity";

    /// <summary>The expected <c>aud</c>: the gateway.</summary>
    public string Audience { get; set; } = "lcr-gateway";

    /// <summary>Tolerance for clock differences on <c>exp</c> and <c>nbf</c>; at most <see cref="MaxClockSkew"/>.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// A token naming an unknown <c>kid</c> refreshes the key set at most this often, so a
    /// flood of tokens with invented key ids cannot hammer the identity service.
    /// </summary>
    public TimeSpan UnknownKeyRefreshInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long to cache keys when the source gives no cache age; also the cap on any cache age.</summary>
    public TimeSpan MaxKeyCacheAge { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How many verified tokens are remembered by their text (so a repeat skips the signature
    /// check; the lifetime and the key are still checked on every use). 0 turns it off.
    /// </summary>
    public int VerifiedTokenMemoEntries { get; set; } = 10_000;

    /// <summary>The skew actually applied: the configured one, bounded to [0, <see cref="MaxClockSkew"/>].</summary>
    public TimeSpan EffectiveClockSkew =>
        ClockSkew < TimeSpan.Zero ? TimeSpan.Zero : ClockSkew > MaxClockSkew ? MaxClockSkew : ClockSkew;
}
