using System.Text.Json.Nodes;

namespace Lcr.Identity.Tests.Federation;

/// <summary>
/// Identity trusting only a private instance of the real development provider ("cis2-test", no
/// subject prefix, as CIS2) that serves its own copy of the people file, which the tests change
/// while it runs (the provider reads it again when it changes): role profiles that end (leavers),
/// people the platform does not know and role profiles that map to nothing (joiners). Its copy
/// adds <see cref="NewStarter"/> (unknown to the platform, a role profile at RR8) and gives ed.rr8
/// an unmapped role profile <see cref="UnmappedProfile"/> at RR8.
/// </summary>
public sealed class ProviderPeopleFixture : IAsyncLifetime
{
    public const string ProviderName = "cis2-test";
    public const string NewStarter = "new.starter";
    public const string NewStarterProfile = "700000000001";
    public const string UnmappedProfile = "700000000002";

    public string NewStarterSubject { get; } = Guid.NewGuid().ToString();

    public string PeopleFile { get; } = Path.Combine(Directory.CreateTempSubdirectory("lcr-dev-oidc-people-").FullName, "people.json");

    public DevOidcProcess Provider { get; private set; } = null!;

    public IdentityHost Host { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var people = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(DevOidcProvider.RepositoryRoot, "tools", "dev-oidc", "people.json")))!;
        var list = people["people"]!.AsArray();
        list.Add(new JsonObject
        {
            ["user_name"] = NewStarter, ["sub"] = NewStarterSubject, ["given_name"] = "Nadia", ["family_name"] = "Starter",
            ["nhsid_nrbac_roles"] = new JsonArray(Profile(NewStarterProfile, "RR8", "S8000:G8000:R8000", "B0264")),
        });
        Person(list, "ed.rr8")["nhsid_nrbac_roles"]!.AsArray().Add(Profile(UnmappedProfile, "RR8", "S8000:G8000:R9999", "B0264"));
        await WriteAsync(people);

        Provider = new DevOidcProcess(PeopleFile);
        await Provider.StartAsync();
        Host = new PeopleHost(Provider.Issuer);
        await ((IAsyncLifetime)Host).InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await ((IAsyncLifetime)Host).DisposeAsync();
        await Provider.DisposeAsync();
        Directory.Delete(Path.GetDirectoryName(PeopleFile)!, recursive: true);
    }

    /// <summary>Changes the provider's people (atomically replacing the file it reads).</summary>
    public async Task ChangePeopleAsync(Action<JsonArray> change)
    {
        var people = JsonNode.Parse(await File.ReadAllTextAsync(PeopleFile))!;
        change(people["people"]!.AsArray());
        await WriteAsync(people);
    }

    public static JsonObject Person(JsonArray people, string userName) =>
        people.Select(p => p!.AsObject()).Single(p => (string?)p["user_name"] == userName);

    public Task<string> IdTokenAsync(string userName) => DevOidcProvider.IdTokenAsync(userName, FederationHost.HospitalEpr, issuer: Provider.Issuer);

    private async Task WriteAsync(JsonNode people)
    {
        var temp = PeopleFile + ".tmp";
        await File.WriteAllTextAsync(temp, people.ToJsonString());
        File.Move(temp, PeopleFile, overwrite: true);
    }

    private static JsonObject Profile(string id, string org, string role, params string[] activities) => new()
    {
        ["person_roleid"] = id, ["org_code"] = org, ["role_code"] = role,
        ["activity_codes"] = new JsonArray(activities.Select(a => (JsonNode)JsonValue.Create(a)).ToArray()),
    };

    private sealed class PeopleHost(string issuer) : IdentityHost
    {
        protected override IEnumerable<KeyValuePair<string, string?>> Settings()
        {
            const string p = "Identity:Federation:Providers:0:";
            return base.Settings().Concat(
            [
                new(p + "Name", ProviderName),
                new(p + "Authority", issuer),
                new(p + "RequireHttpsMetadata", "false"),
                new(p + "Audiences:0", FederationHost.HospitalEpr),
                new(p + "AllowedOrganisations:0", "RR8"),
                new(p + "AllowedOrganisations:1", "RGD"),
                new(p + "AllowedOrganisations:2", "B86001"),
            ]);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ProviderPeopleCollection : ICollectionFixture<ProviderPeopleFixture>
{
    public const string Name = "provider-people";
}
