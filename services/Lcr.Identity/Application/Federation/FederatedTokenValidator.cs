using System.Text.Json;
using Lcr.Identity.Domain.Federation;
using Lcr.ServiceDefaults;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Lcr.Identity.Application.Federation;

/// <summary>
/// Validates ID tokens of the configured providers: the provider is chosen by the token's
/// <c>iss</c>; its discovery document and JWKS come through a Microsoft.IdentityModel
/// <see cref="ConfigurationManager{T}"/> (cached, re-read on a schedule, and re-read once when a token
/// names an unknown <c>kid</c>); then JsonWebTokenHandler checks signature, algorithm
/// allow-list, issuer and audience, and here expiry / not-before against the service clock with the
/// provider's skew, and the assurance level. Refusals never echo token text.
/// </summary>
public sealed partial class FederatedTokenValidator : IDisposable
{
    public const string Invalid = "FEDERATED_TOKEN_INVALID";
    public const string Expired = "FEDERATED_TOKEN_EXPIRED";
    public const string AssuranceTooLow = "ASSURANCE_TOO_LOW";
    public const string AuthenticationTooOld = "AUTHENTICATION_TOO_OLD";
    public const string ProviderUnavailable = "FEDERATION_PROVIDER_UNAVAILABLE";

    private static readonly JsonWebTokenHandler Handler = new();
    private readonly IReadOnlyList<(FederatedProviderOptions Options, ConfigurationManager<OpenIdConnectConfiguration> Manager)> _providers;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly TimeProvider _clock;
    private readonly ILogger<FederatedTokenValidator> _logger;

    public FederatedTokenValidator(IOptions<FederationOptions> options, TimeProvider clock, ILogger<FederatedTokenValidator> logger)
    {
        _clock = clock;
        _logger = logger;
        _providers = options.Value.Providers.Select(p => (p, new ConfigurationManager<OpenIdConnectConfiguration>(
            p.DiscoveryAddress, new OpenIdConnectConfigurationRetriever(), new HttpDocumentRetriever(_http) { RequireHttps = p.RequireHttpsMetadata })
        {
            AutomaticRefreshInterval = p.AutomaticRefreshInterval,
            RefreshInterval = p.MinimumRefreshInterval,
        })).ToList();
    }

    /// <summary>Whether any provider is configured (federated sign-in is on).</summary>
    public bool Enabled => _providers.Count > 0;

    public async Task<FederatedIdentity> ValidateAsync(string token, CancellationToken ct)
    {
        JsonWebToken unverified;
        try
        {
            unverified = new JsonWebToken(token);
        }
        catch (ArgumentException)
        {
            throw Refuse(null, Invalid, "format", "The subject token is not a signed JWT.");
        }

        var issuer = unverified.Issuer.TrimEnd('/');
        var (provider, manager) = _providers.FirstOrDefault(p => p.Options.Authority.TrimEnd('/') == issuer);
        if (provider is null)
        {
            throw Refuse(null, Invalid, "issuer", "The token was not issued by a provider this platform trusts.");
        }

        // Checked here as well as by the handler (ValidAlgorithms), which reports it only as a bad signature.
        if (!provider.Algorithms.Contains(unverified.Alg, StringComparer.Ordinal))
        {
            throw Refuse(provider.Name, Invalid, "algorithm", "The token is signed with an algorithm this platform does not accept.");
        }

        TokenValidationResult result;
        try
        {
            result = await ValidateWithAsync(await manager.GetConfigurationAsync(ct), token, provider);
            if (!result.IsValid && result.Exception is SecurityTokenSignatureKeyNotFoundException)
            {
                // An unknown kid: the provider may have rotated its keys. Re-read them (at most once per
                // MinimumRefreshInterval; otherwise this answers from the cache) and try once more.
                manager.RequestRefresh();
                result = await ValidateWithAsync(await manager.GetConfigurationAsync(ct), token, provider);
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or HttpRequestException or IOException)
        {
            LogProviderUnreachable(_logger, provider.Name, ex.GetType().Name);
            throw new DependencyUnavailableException(ProviderUnavailable, "The identity provider's keys cannot be read just now; try again shortly.", ex);
        }

        if (!result.IsValid)
        {
            var (check, message) = result.Exception switch
            {
                SecurityTokenInvalidAudienceException => ("audience", "The token was issued to a client this platform does not accept for that provider."),
                SecurityTokenInvalidIssuerException => ("issuer", "The token's issuer does not match the provider's discovery document."),
                SecurityTokenInvalidAlgorithmException => ("algorithm", "The token is signed with an algorithm this platform does not accept."),
                SecurityTokenSignatureKeyNotFoundException => ("signing_key", "The token is signed with a key the provider does not publish."),
                SecurityTokenInvalidSignatureException => ("signature", "The token's signature is not valid."),
                SecurityTokenNoExpirationException => ("expiry", "The token has no expiry."),
                _ => ("token", "The token is not valid."),
            };
            throw Refuse(provider.Name, Invalid, check, message);
        }

        var jwt = (JsonWebToken)result.SecurityToken;
        var now = _clock.GetUtcNow().UtcDateTime;
        if (now > jwt.ValidTo + provider.ClockSkew)
        {
            throw Refuse(provider.Name, Expired, "expiry", "The ID token has expired; sign in with the provider again.");
        }

        if (jwt.ValidFrom != DateTime.MinValue && jwt.ValidFrom > now + provider.ClockSkew)
        {
            throw Refuse(provider.Name, Invalid, "not_before", "The ID token is not valid yet.");
        }

        if (string.IsNullOrWhiteSpace(jwt.Subject) || jwt.Subject.Length > 150)
        {
            throw Refuse(provider.Name, Invalid, "subject", "The token has no usable subject.");
        }

        using var payload = JsonDocument.Parse(Base64UrlEncoder.Decode(jwt.EncodedPayload));
        var level = AssuranceLevel(payload.RootElement);
        if (provider.MinimumAssuranceLevel is { } minimum && (level is null || level < minimum))
        {
            var e = Refuse(provider.Name, AssuranceTooLow, "assurance",
                "The sign-in was not strong enough for the shared care record: sign in with a smartcard or another authenticator of the required level.");
            e.Metadata["minimum_assurance_level"] = minimum.ToString(System.Globalization.CultureInfo.InvariantCulture);
            throw e;
        }

        // auth_time when the provider sends it (CIS2 does), else when the token was issued.
        var authenticatedAt = payload.RootElement.TryGetProperty("auth_time", out var at) && at.TryGetInt64(out var seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : new DateTimeOffset(jwt.IssuedAt == DateTime.MinValue ? jwt.ValidTo : jwt.IssuedAt, TimeSpan.Zero);
        var identity = new FederatedIdentity(provider, jwt.Subject, Roles(payload.RootElement), level, authenticatedAt,
            Name(payload.RootElement, "given_name"), Name(payload.RootElement, "family_name"));
        if (identity.SessionNotAfter <= _clock.GetUtcNow())
        {
            throw Refuse(provider.Name, AuthenticationTooOld, "auth_time", "The sign-in at the identity provider is too old for a new session; sign in there again.");
        }

        return identity;
    }

    private static Task<TokenValidationResult> ValidateWithAsync(OpenIdConnectConfiguration configuration, string token, FederatedProviderOptions provider) =>
        Handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = configuration.Issuer,
            IssuerSigningKeys = configuration.SigningKeys,
            ValidAudiences = provider.Audiences,
            ValidAlgorithms = provider.Algorithms,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            TryAllIssuerSigningKeys = false, // a token must name a published key id
            ValidateLifetime = false, // checked against the service clock, with the provider's skew
        });

    private static int? AssuranceLevel(JsonElement payload)
    {
        if (!payload.TryGetProperty("authentication_assurance_level", out var aal))
        {
            return null;
        }

        return aal.ValueKind switch
        {
            JsonValueKind.Number when aal.TryGetInt32(out var n) => n,
            JsonValueKind.String when int.TryParse(aal.GetString(), System.Globalization.CultureInfo.InvariantCulture, out var n) => n,
            _ => null,
        };
    }

    /// <summary>The well-formed <c>nhsid_nrbac_roles</c> entries; malformed ones are ignored (and so cannot be chosen).</summary>
    private static List<NrbacRole> Roles(JsonElement payload)
    {
        var roles = new List<NrbacRole>();
        if (!payload.TryGetProperty("nhsid_nrbac_roles", out var array) || array.ValueKind != JsonValueKind.Array)
        {
            return roles;
        }

        foreach (var e in array.EnumerateArray())
        {
            if (e.ValueKind == JsonValueKind.Object && Text(e, "person_roleid") is { } id && Text(e, "org_code") is { } org && Text(e, "role_code") is { } code)
            {
                var activities = e.TryGetProperty("activity_codes", out var a) && a.ValueKind == JsonValueKind.Array
                    ? a.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!).ToList()
                    : [];
                roles.Add(new NrbacRole(id, org, code, activities));
            }
        }

        return roles;
    }

    /// <summary>A name claim for the joiners list (kept in identity's database, never logged), or null.</summary>
    private static string? Name(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } s ? s[..Math.Min(s.Length, 100)] : null;

    private static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 and <= 64 } s ? s : null;

    private UnauthenticatedException Refuse(string? provider, string reason, string check, string message)
    {
        LogRefused(_logger, provider ?? "unknown", reason, check);
        var e = new UnauthenticatedException(reason, message);
        e.Metadata["failed_check"] = check;
        if (provider is not null)
        {
            e.Metadata["provider"] = provider;
        }

        return e;
    }

    public void Dispose() => _http.Dispose();

    [LoggerMessage(Level = LogLevel.Information, Message = "Federated token refused (provider {Provider}): {Reason}, check {Check}")]
    private static partial void LogRefused(ILogger logger, string provider, string reason, string check);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Federated provider {Provider} discovery or keys unreachable ({ErrorType})")]
    private static partial void LogProviderUnreachable(ILogger logger, string provider, string errorType);
}
