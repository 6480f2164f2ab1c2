using Grpc.Core;

namespace Lcr.Security;

/// <summary>Reads <c>authorization: Bearer &lt;token&gt;</c> from gRPC metadata.</summary>
public static class BearerToken
{
    public const string Header = "authorization";

    /// <summary>The token from an <c>authorization</c> header value, or null when absent or not a bearer credential.</summary>
    public static string? FromHeaderValue(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        const string prefix = "Bearer ";
        if (!value.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var token = value[prefix.Length..].Trim();
        return token.Length == 0 ? null : token;
    }

    /// <summary>The bearer token in the request metadata, or null.</summary>
    public static string? From(Metadata headers) => FromHeaderValue(headers.GetValue(Header));

    /// <summary>Metadata carrying a bearer token, for outgoing calls.</summary>
    public static Metadata Metadata(string token) => new() { { Header, "Bearer " + token } };
}
