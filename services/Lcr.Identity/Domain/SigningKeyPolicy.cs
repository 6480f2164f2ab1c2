using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Lcr.Identity.Domain;

/// <summary>Pure rules of signing keys: generation, key ids, publication windows.</summary>
public static class SigningKeyPolicy
{
    /// <summary>A fresh P-256 key pair.</summary>
    public static ECDsa Generate() => ECDsa.Create(ECCurve.NamedCurves.nistP256);

    /// <summary>Base64url public coordinates.</summary>
    public static (string X, string Y) PublicCoordinates(ECDsa key)
    {
        var p = key.ExportParameters(includePrivateParameters: false);
        return (Base64Url.EncodeToString(p.Q.X!), Base64Url.EncodeToString(p.Q.Y!));
    }

    /// <summary>The key id: the RFC 7638 JWK thumbprint (SHA-256, base64url) of the public key.</summary>
    public static string KeyId(string x, string y)
    {
        var canonical = $"{{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"{x}\",\"y\":\"{y}\"}}";
        return Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }

    /// <summary>
    /// When a key retired at <paramref name="retiredAt"/> stops being published: after the
    /// longest-lived token it can have signed has expired. A replica may still sign with it
    /// for one signer-cache period after retirement, and verifiers tolerate clock skew.
    /// </summary>
    public static DateTimeOffset PublishUntil(DateTimeOffset retiredAt, IdentityTokenOptions tokens) =>
        retiredAt + tokens.SigningKeyCacheTime + tokens.LongestTokenLifetime + Lcr.Security.TokenVerificationOptions.MaxClockSkew;

    /// <summary>Whether a key is published (verifies tokens) at <paramref name="now"/>.</summary>
    public static bool IsPublished(DateTimeOffset? notAfter, DateTimeOffset now) => notAfter is null || now < notAfter;
}
