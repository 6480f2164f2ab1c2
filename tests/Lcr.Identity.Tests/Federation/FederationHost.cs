using Microsoft.Extensions.DependencyInjection;

namespace Lcr.Identity.Tests.Federation;

/// <summary>
/// Identity on its own database, trusting the real development provider: audiences of three of its
/// registered clinical systems (not demo-unregistered-app), organisations B86001, RR8, RGD and
/// Y99999 (not 00DA), RS256 and PS256 only (rgd-care-epr's ES256 tokens are refused), assurance 3.
/// Sessions end at most 5 minutes after the sign-in at the provider (its ID tokens live 10).
/// Password sign-in is switched off, as in production. The service clock is <see cref="Clock"/>.
/// </summary>
public sealed class FederationHost : IdentityHost
{
    public const string Provider = "dev-oidc";
    public const string GpSystem = "b86001-gp-system";
    public const string HospitalEpr = "rr8-ppm-epr";
    public const string MentalHealthEpr = "rgd-care-epr";
    public const string UnregisteredApp = "demo-unregistered-app";

    public ShiftableClock Clock { get; } = new();

    protected override IEnumerable<KeyValuePair<string, string?>> Settings()
    {
        const string p = "Identity:Federation:Providers:0:";
        return base.Settings().Concat(
        [
            new(p + "Name", Provider),
            new(p + "Authority", DevOidcProvider.Issuer),
            new(p + "RequireHttpsMetadata", "false"),
            new(p + "Audiences:0", GpSystem),
            new(p + "Audiences:1", HospitalEpr),
            new(p + "Audiences:2", MentalHealthEpr),
            new(p + "AllowedOrganisations:0", "B86001"),
            new(p + "AllowedOrganisations:1", "RR8"),
            new(p + "AllowedOrganisations:2", "RGD"),
            new(p + "AllowedOrganisations:3", "Y99999"),
            new(p + "AllowedAlgorithms:0", "RS256"),
            new(p + "AllowedAlgorithms:1", "PS256"),
            new(p + "MinimumAssuranceLevel", "3"),
            new(p + "ClockSkew", "00:00:30"),
            new(p + "MaxSessionAfterAuthentication", "00:05:00"),
            new("Identity:PasswordSignIn:Enabled", "false"),
        ]);
    }

    protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton<TimeProvider>(Clock);
}

[CollectionDefinition(Name)]
public sealed class FederationCollection : ICollectionFixture<FederationHost>
{
    public const string Name = "federation";
}
