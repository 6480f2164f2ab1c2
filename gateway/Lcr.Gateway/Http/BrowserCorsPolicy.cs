using Microsoft.AspNetCore.Cors.Infrastructure;

namespace Lcr.Gateway.Http;

/// <summary>
/// The CORS policy for browser applications (gRPC-Web and JSON) from
/// <c>Gateway:Cors:AllowedOrigins</c>: exact origins only (scheme, host and port, no path). A
/// wildcard (<c>*</c>, or a <c>*.</c> subdomain pattern) is accepted outside Production for local
/// development and refused in Production, where the gateway does not start with one. No origin
/// configured: no cross-origin browser call is allowed (same-origin and non-browser callers are
/// unaffected). Credentials (cookies) are never allowed: callers send <c>authorization: Bearer</c>.
/// </summary>
public static class BrowserCorsPolicy
{
    public const string Name = "lcr-browsers";
    public const string ConfigurationKey = "Gateway:Cors:AllowedOrigins";

    /// <summary>Request headers a browser application may send.</summary>
    public static readonly string[] AllowedHeaders =
    [
        "authorization", "content-type", "x-grpc-web", "x-user-agent", "grpc-timeout", "accept",
    ];

    /// <summary>Response headers a browser application may read (gRPC-Web status and rich error details).</summary>
    public static readonly string[] ExposedHeaders = ["grpc-status", "grpc-message", "grpc-status-details-bin"];

    /// <summary>
    /// The origins, checked: throws <see cref="InvalidOperationException"/> (naming the setting,
    /// never the value) for a wildcard in Production or an entry that is not an absolute origin.
    /// </summary>
    public static string[] Validate(IEnumerable<string?> configured, bool production)
    {
        var origins = new List<string>();
        foreach (var raw in configured)
        {
            var origin = raw?.Trim().TrimEnd('/');
            if (string.IsNullOrEmpty(origin))
            {
                continue;
            }

            var wildcard = origin.Contains('*', StringComparison.Ordinal);
            if (wildcard && production)
            {
                throw new InvalidOperationException(
                    $"{ConfigurationKey} holds a wildcard origin, which Production refuses: list each browser application's exact origin (https://host[:port]).");
            }

            if (origin != "*" && !IsOrigin(wildcard ? origin.Replace("*.", "x.", StringComparison.Ordinal) : origin))
            {
                throw new InvalidOperationException(
                    $"{ConfigurationKey} holds an entry that is not an origin: each must be scheme://host[:port], with no path, query or user.");
            }

            origins.Add(origin);
        }

        return [.. origins.Distinct(StringComparer.OrdinalIgnoreCase)];
    }

    /// <summary>The policy for <paramref name="origins"/> (already validated).</summary>
    public static CorsPolicy Build(IReadOnlyCollection<string> origins)
    {
        var builder = new CorsPolicyBuilder()
            .WithMethods("GET", "POST", "PATCH", "DELETE")
            .WithHeaders(AllowedHeaders)
            .WithExposedHeaders(ExposedHeaders)
            .SetPreflightMaxAge(TimeSpan.FromMinutes(10));
        if (origins.Contains("*"))
        {
            builder.AllowAnyOrigin();
        }
        else
        {
            builder.WithOrigins([.. origins]);
            if (origins.Any(o => o.Contains("*.", StringComparison.Ordinal)))
            {
                builder.SetIsOriginAllowedToAllowWildcardSubdomains();
            }
        }

        return builder.Build();
    }

    private static bool IsOrigin(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri)
        && uri.Scheme is "https" or "http"
        && string.IsNullOrEmpty(uri.UserInfo)
        && uri.AbsolutePath == "/" && string.IsNullOrEmpty(uri.Query) && string.IsNullOrEmpty(uri.Fragment)
        && !value.EndsWith('/');
}
