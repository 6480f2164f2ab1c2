namespace Lcr.Identity.Domain.Federation;

/// <summary>Federated sign-in settings: section <c>Identity:Federation</c>. No providers: federated sign-in is off.</summary>
public sealed class FederationOptions
{
    /// <summary>The RFC 8693 token type of an OpenID Connect ID token, the only subject token accepted.</summary>
    public const string IdTokenType = "urn:ietf:params:oauth:token-type:id_token";

    public List<FederatedProviderOptions> Providers { get; set; } = [];

    /// <summary>The national role mapping table; when absent, <see cref="NationalRoleMap.Defaults"/>.</summary>
    public List<NationalRoleMapping> RoleMappings { get; set; } = [];

    /// <summary>Why the settings cannot be used, or null when they can.</summary>
    public string? Problem()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var unprefixed = 0;
        foreach (var p in Providers)
        {
            if (string.IsNullOrWhiteSpace(p.Name) || !names.Add(p.Name))
            {
                return "every provider needs a unique Name";
            }

            if (!Uri.TryCreate(p.Authority, UriKind.Absolute, out var authority) ||
                (p.RequireHttpsMetadata && authority.Scheme != Uri.UriSchemeHttps))
            {
                return $"provider {p.Name}: Authority must be an absolute https URL (RequireHttpsMetadata=false only for the loopback development provider)";
            }

            if (p.Audiences.Count == 0 || p.AllowedOrganisations.Count == 0)
            {
                return $"provider {p.Name}: Audiences and AllowedOrganisations must not be empty";
            }

            if (p.Algorithms.Any(a => a.StartsWith("HS", StringComparison.OrdinalIgnoreCase) || a.Equals("none", StringComparison.OrdinalIgnoreCase)))
            {
                return $"provider {p.Name}: AllowedAlgorithms must be asymmetric signature algorithms";
            }

            if (p.ClockSkew < TimeSpan.Zero || p.ClockSkew > TimeSpan.FromMinutes(5))
            {
                return $"provider {p.Name}: ClockSkew must be between 0 and 5 minutes";
            }

            if (p.MaxSessionAfterAuthentication <= TimeSpan.Zero)
            {
                return $"provider {p.Name}: MaxSessionAfterAuthentication must be positive";
            }

            if (p.SubjectPrefix.Length == 0)
            {
                unprefixed++;
            }
        }

        return unprefixed > 1 ? "at most one provider may have an empty SubjectPrefix" : null;
    }
}
