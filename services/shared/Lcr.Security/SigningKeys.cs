using System.Buffers.Text;
using System.Security.Cryptography;
using Grpc.Core;
using Lcr.Identity.V1;
using Lcr.ServiceDefaults;

namespace Lcr.Security;

/// <summary>A published ES256 (P-256) public key, as ListSigningKeys returns it.</summary>
/// <param name="Kid">The JWT <c>kid</c> of tokens it signed.</param>
/// <param name="X">Public x coordinate, base64url (32 bytes).</param>
/// <param name="Y">Public y coordinate, base64url (32 bytes).</param>
/// <param name="NotAfter">When it stops verifying; null for the current key.</param>
public sealed record PublishedSigningKey(string Kid, string X, string Y, DateTimeOffset NotBefore, DateTimeOffset? NotAfter);

/// <summary>The published key set and how long a verifier may cache it.</summary>
public sealed record SigningKeySet(IReadOnlyList<PublishedSigningKey> Keys, TimeSpan CacheMaxAge);

/// <summary>Where a verifier gets the platform's public signing keys from.</summary>
public interface ISigningKeySource
{
    /// <summary>Fetches the currently published keys. Throws when the source cannot be reached.</summary>
    Task<SigningKeySet> FetchAsync(CancellationToken cancellationToken);
}

/// <summary>
/// Fetches keys from the identity service's <c>ListSigningKeys</c> (public keys only), with a
/// deadline. Keys that are not EC / P-256 / ES256 / sig are skipped.
/// </summary>
public sealed class GrpcSigningKeySource(IdentityService.IdentityServiceClient client) : ISigningKeySource
{
    /// <summary>Deadline of one ListSigningKeys call.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(3);

    public async Task<SigningKeySet> FetchAsync(CancellationToken cancellationToken)
    {
        ListSigningKeysResponse response;
        try
        {
            response = await client.ListSigningKeysAsync(new ListSigningKeysRequest(),
                deadline: DateTime.UtcNow.Add(Timeout), cancellationToken: cancellationToken);
        }
        catch (RpcException e) when (e.StatusCode != StatusCode.Cancelled || !cancellationToken.IsCancellationRequested)
        {
            throw new DependencyUnavailableException("SIGNING_KEYS_UNAVAILABLE",
                "The identity service's signing keys could not be fetched; retry later.", e);
        }

        var keys = response.Keys
            .Where(k => k.Kty == "EC" && k.Crv == "P-256" && k.Alg == TokenTypes.Algorithm && (k.Use is "" or "sig"))
            .Select(k => new PublishedSigningKey(k.Kid, k.X, k.Y,
                k.NotBefore?.ToDateTimeOffset() ?? DateTimeOffset.MinValue, k.NotAfter?.ToDateTimeOffset()))
            .ToList();
        return new SigningKeySet(keys, TimeSpan.FromSeconds(Math.Max(0, response.CacheMaxAgeSeconds)));
    }
}

/// <summary>Builds verification keys from published coordinates.</summary>
public static class SigningKeyMaterial
{
    /// <summary>An ECDsa P-256 public key from base64url coordinates, or null when they are not a valid P-256 point.</summary>
    public static ECDsa? PublicKey(string x, string y)
    {
        try
        {
            var xb = Base64Url.DecodeFromChars(x);
            var yb = Base64Url.DecodeFromChars(y);
            if (xb.Length != 32 || yb.Length != 32)
            {
                return null;
            }

            return ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, Q = new ECPoint { X = xb, Y = yb } });
        }
        catch (Exception e) when (e is FormatException or CryptographicException or ArgumentException)
        {
            return null;
        }
    }
}
