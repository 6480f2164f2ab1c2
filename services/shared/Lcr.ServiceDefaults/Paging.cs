using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Lcr.ServiceDefaults;

/// <summary>
/// Page sizes and opaque page tokens for every List/Search call (AIP-158).
/// A token carries the keyset position of the last item returned and a fingerprint of the
/// query it belongs to, so a token replayed with different filters is refused.
/// </summary>
public static class Paging
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 200;

    /// <summary>
    /// Resolves a requested page size: 0 means the default, above the cap means the cap,
    /// negative is INVALID_ARGUMENT.
    /// </summary>
    public static int ResolvePageSize(int requested, FieldViolations violations, string field = "page_size",
        int defaultSize = DefaultPageSize, int max = MaxPageSize)
    {
        if (requested < 0)
        {
            violations.Add(field, "must not be negative");
            return defaultSize;
        }

        return requested == 0 ? defaultSize : Math.Min(requested, max);
    }

    /// <summary>Encodes a keyset position for a query.</summary>
    public static string EncodeToken<T>(T position, string queryFingerprint)
    {
        var payload = JsonSerializer.SerializeToUtf8Bytes(new TokenEnvelope<T>(Fingerprint(queryFingerprint), position));
        return Base64Url.EncodeToString(payload);
    }

    /// <summary>
    /// Decodes a token produced by <see cref="EncodeToken{T}"/>; returns default for an empty
    /// token and records a violation on <paramref name="field"/> for a malformed or mismatched one.
    /// </summary>
    public static T? DecodeToken<T>(string? token, string queryFingerprint, FieldViolations violations, string field = "page_token")
    {
        if (string.IsNullOrEmpty(token))
        {
            return default;
        }

        try
        {
            var envelope = JsonSerializer.Deserialize<TokenEnvelope<T>>(Base64Url.DecodeFromChars(token));
            if (envelope is null || envelope.Position is null)
            {
                violations.Add(field, "is not a valid page token");
                return default;
            }

            if (envelope.Query != Fingerprint(queryFingerprint))
            {
                violations.Add(field, "belongs to a different query; repeat the same filters as the first page");
                return default;
            }

            return envelope.Position;
        }
        catch (Exception e) when (e is FormatException or JsonException or ArgumentException)
        {
            violations.Add(field, "is not a valid page token");
            return default;
        }
    }

    private static string Fingerprint(string query) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(query)), 0, 8);

    private sealed record TokenEnvelope<T>(string Query, T Position);
}
