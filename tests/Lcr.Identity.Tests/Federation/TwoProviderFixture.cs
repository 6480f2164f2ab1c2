namespace Lcr.Identity.Tests.Federation;

/// <summary>
/// Identity trusting two real providers: the shared development provider ("dev-oidc": B86001 and
/// RR8, subjects as they are) and a second private instance ("trust-idp": 00DA only, subjects
/// prefixed "trust-idp:"), whose keys the tests rotate; and a third ("gone-idp") that issued
/// <see cref="TokenFromGoneProvider"/> and then stopped before identity ever read its keys.
/// </summary>
public sealed class TwoProviderFixture : IAsyncLifetime
{
    public const string SecondProvider = "trust-idp";
    public const string SecondPrefix = "trust-idp:";

    public DevOidcProcess Second { get; } = new();

    public DevOidcProcess Gone { get; } = new();

    /// <summary>A real ID token from the third provider, which no longer answers.</summary>
    public string TokenFromGoneProvider { get; private set; } = string.Empty;

    public IdentityHost Host { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Second.StartAsync();
        await Gone.StartAsync();
        TokenFromGoneProvider = await DevOidcProvider.IdTokenAsync("gp.b86001", FederationHost.GpSystem, issuer: Gone.Issuer);
        await Gone.StopAsync();
        Host = new TwoProviderHost(Second.Issuer, Gone.Issuer);
        await ((IAsyncLifetime)Host).InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await ((IAsyncLifetime)Host).DisposeAsync();
        await Second.DisposeAsync();
        await Gone.DisposeAsync();
    }

    private sealed class TwoProviderHost(string secondIssuer, string goneIssuer) : IdentityHost
    {
        protected override IEnumerable<KeyValuePair<string, string?>> Settings()
        {
            const string a = "Identity:Federation:Providers:0:";
            const string b = "Identity:Federation:Providers:1:";
            const string c = "Identity:Federation:Providers:2:";
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
                new(c + "Name", "gone-idp"),
                new(c + "Authority", goneIssuer),
                new(c + "RequireHttpsMetadata", "false"),
                new(c + "Audiences:0", FederationHost.GpSystem),
                new(c + "AllowedOrganisations:0", "B86001"),
                new(c + "SubjectPrefix", "gone-idp:"),
            ]);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class TwoProviderCollection : ICollectionFixture<TwoProviderFixture>
{
    public const string Name = "two-providers";
}
