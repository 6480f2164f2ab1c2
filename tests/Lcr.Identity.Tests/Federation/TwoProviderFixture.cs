namespace Lcr.Identity.Tests.Federation;

/// <summary>
/// Identity trusting two real providers: the shared development provider ("dev-oidc": B86001 and
/// RR8, subjects as they are) and a second private instance ("trust-idp": 00DA only, subjects
/// prefixed "trust-idp:"), whose keys the tests rotate.
/// </summary>
public sealed class TwoProviderFixture : IAsyncLifetime
{
    public const string SecondProvider = "trust-idp";
    public const string SecondPrefix = "trust-idp:";

    public DevOidcProcess Second { get; } = new();

    public IdentityHost Host { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Second.StartAsync();
        Host = new TwoProviderHost(Second.Issuer);
        await ((IAsyncLifetime)Host).InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await ((IAsyncLifetime)Host).DisposeAsync();
        await Second.DisposeAsync();
    }

    private sealed class TwoProviderHost(string secondIssuer) : IdentityHost
    {
        protected override IEnumerable<KeyValuePair<string, string?>> Settings()
        {
            const string a = "Identity:Federation:Providers:0:";
            const string b = "Identity:Federation:Providers:1:";
            return base.Settings().Concat(
            [
                new(a + "Name", FederationHost.Provider),
                new(a + "Authority", DevOidcProvider.Issuer),
                new(a + "RequireHttpsMetadata", "false"),
                new(a + "Audiences:0", FederationHost.GpSystem),
                new(a + "AllowedOrganisations:0", "B86001"),
                new(a + "AllowedOrganisations:1", "RR8"),
                new(b + "Name", SecondProvider),
                new(b + "Authority", secondIssuer),
                new(b + "RequireHttpsMetadata", "false"),
                new(b + "Audiences:0", FederationHost.GpSystem),
                new(b + "AllowedOrganisations:0", "00DA"),
                new(b + "SubjectPrefix", SecondPrefix),
                new(b + "MinimumRefreshInterval", "00:00:01"),
            ]);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class TwoProviderCollection : ICollectionFixture<TwoProviderFixture>
{
    public const string Name = "two-providers";
}
