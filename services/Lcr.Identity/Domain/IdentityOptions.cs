namespace Lcr.Identity.Domain;

/// <summary>Token settings: section <c>Identity:Tokens</c>.</summary>
public sealed class IdentityTokenOptions
{
    /// <summary>The <c>iss</c> of every token; verifiers must expect the same.</summary>
    public string Issuer { get; set; } = "lcr-identity";

    /// <summary>The <c>aud</c> of every token: the gateway, the platform's front door.</summary>
    public string Audience { get; set; } = "lcr-gateway";

    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(8);

    public TimeSpan SystemLifetime { get; set; } = TimeSpan.FromMinutes(15);

    public TimeSpan AccessLifetime { get; set; } = TimeSpan.FromMinutes(10);

    public TimeSpan EmergencyAccessLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Clock skew tolerated when identity verifies session and system tokens itself.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long each replica caches the current signing key before re-reading it.</summary>
    public TimeSpan SigningKeyCacheTime { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The cache age ListSigningKeys tells verifiers.</summary>
    public TimeSpan PublishedKeysCacheAge { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The longest lifetime of any token kind: how long a retired key must keep verifying.</summary>
    public TimeSpan LongestTokenLifetime =>
        new[] { SessionLifetime, SystemLifetime, AccessLifetime, EmergencyAccessLifetime }.Max();
}

/// <summary>
/// The key-encryption key protecting signing private keys at rest: configuration
/// <c>Identity:KeyEncryptionKey</c>, base64 of exactly 32 random bytes (AES-256-GCM). Required
/// in every environment; in Kubernetes it comes from a Secret.
/// </summary>
public sealed class KeyEncryptionOptions
{
    public string? KeyEncryptionKey { get; set; }

    public bool TryGetKey(out byte[] key)
    {
        key = [];
        if (string.IsNullOrWhiteSpace(KeyEncryptionKey))
        {
            return false;
        }

        try
        {
            key = Convert.FromBase64String(KeyEncryptionKey.Trim());
            return key.Length == 32;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
