namespace Lcr.Identity.Domain.Federation;

/// <summary>
/// One OpenID Connect provider identity trusts: section <c>Identity:Federation:Providers:N</c>.
/// See docs/services/identity.md, "Federated sign-in".
/// </summary>
public sealed class FederatedProviderOptions
{
    /// <summary>Short name, recorded on sessions and in logs (e.g. <c>cis2</c>, <c>dev-oidc</c>).</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>The provider's issuer URL; discovery is read from <c>{Authority}/.well-known/openid-configuration</c>.</summary>
    public string Authority { get; set; } = string.Empty;

    /// <summary>Discovery document address when it is not under <see cref="Authority"/>.</summary>
    public string? MetadataAddress { get; set; }

    /// <summary>Refuse plain-HTTP discovery; only the loopback development provider turns this off.</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    /// <summary>The client ids, registered with the provider, of the clinical systems that may exchange its tokens: the accepted <c>aud</c> values.</summary>
    public List<string> Audiences { get; set; } = [];

    /// <summary>ODS codes of the organisations this provider may vouch for; a role profile elsewhere is refused.</summary>
    public List<string> AllowedOrganisations { get; set; } = [];

    /// <summary>
    /// Lowest <c>authentication_assurance_level</c> accepted (CIS2: 3 for smartcard and equivalent).
    /// Null for a provider that does not send the claim; then it is not checked.
    /// </summary>
    public int? MinimumAssuranceLevel { get; set; } = 3;

    /// <summary>Signature algorithms accepted when <see cref="AllowedAlgorithms"/> is empty.</summary>
    public static IReadOnlyList<string> DefaultAlgorithms { get; } = ["RS256", "PS256", "ES256"];

    /// <summary>
    /// Signature algorithms accepted (empty: <see cref="DefaultAlgorithms"/>); anything else, including
    /// <c>none</c> and HMAC, is refused. (Empty rather than pre-filled: configuration binding appends to a list.)
    /// </summary>
    public List<string> AllowedAlgorithms { get; set; } = [];

    /// <summary>The algorithms actually accepted.</summary>
    public IReadOnlyList<string> Algorithms => AllowedAlgorithms.Count > 0 ? AllowedAlgorithms : DefaultAlgorithms;

    /// <summary>Clock skew tolerated on <c>exp</c> and <c>nbf</c>.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Prefix of this provider's subjects in <c>federated_subject</c>: empty for the one national
    /// provider (CIS2: the column holds the CIS2 UUID as is); <c>name:</c>-style for any other, so a
    /// second provider can never match a subject issued by another.
    /// </summary>
    public string SubjectPrefix { get; set; } = string.Empty;

    /// <summary>
    /// The longest a platform session may last after the professional authenticated at the provider
    /// (<c>auth_time</c>, else <c>iat</c>): a session from an exchange ends at the earlier of this and the
    /// platform's session lifetime, and a token whose authentication is older is refused.
    /// </summary>
    public TimeSpan MaxSessionAfterAuthentication { get; set; } = TimeSpan.FromHours(8);

    /// <summary>How often the discovery document and keys are re-read; a token with an unknown key id triggers an earlier refresh (at most once per <see cref="MinimumRefreshInterval"/>).</summary>
    public TimeSpan AutomaticRefreshInterval { get; set; } = TimeSpan.FromHours(12);

    /// <summary>Shortest interval between refreshes asked for by an unknown key id.</summary>
    public TimeSpan MinimumRefreshInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The discovery document address used.</summary>
    public string DiscoveryAddress => string.IsNullOrWhiteSpace(MetadataAddress)
        ? Authority.TrimEnd('/') + "/.well-known/openid-configuration"
        : MetadataAddress;
}
