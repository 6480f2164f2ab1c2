using System.Text.Json;
using Lcr.Identity.Domain;
using Lcr.Identity.Domain.Federation;
using Lcr.Identity.Seed;

namespace Lcr.Identity.Tests.Federation;

/// <summary>The role mapping rule and the federation settings, without a host.</summary>
public sealed class FederationRuleTests
{
    private static readonly NationalRoleMap Map = new(null);
    private static readonly Guid Assignment = Guid.NewGuid();
    private static readonly ActiveAssignment[] Assignments = [new(Assignment, "RR8", RoleCatalogue.ClinicalPractitioner)];
    private static readonly string[] Known = ["RR8", "RGD", "B86001"];

    private static NrbacRole Role(string id, string org, string code, params string[] activities) => new(id, org, code, activities);

    [Fact]
    public void A_mapped_role_profile_at_a_trusted_known_organisation_picks_the_matching_assignment()
    {
        var d = Map.Decide([Role("1", "rr8", "S8000:G8000:R8000", "B0264")], "1", ["RR8"], Known, Assignments);
        Assert.Null(d.Refusal);
        Assert.Equal(Assignment, d.RoleAssignmentId);
        Assert.Equal(RoleCatalogue.ClinicalPractitioner, d.PlatformRoleCode);
    }

    [Fact]
    public void Each_refusal_has_its_own_reason()
    {
        var roles = new[]
        {
            Role("1", "RR8", "S8000:G8000:R8000", "B0264"),
            Role("2", "RR8", "S8000:G8000:R8000"), // no B0264: not mapped
            Role("3", "RGD", "S8000:G8000:R8000", "B0264"), // no assignment there
            Role("4", "X12345", "S8000:G8000:R8000", "B0264"), // not known to the platform
            Role("5", "RR8", "S9999:G9999:R9999", "B0264"), // unknown national role
        };
        string? Reason(string id, string[]? trusted = null) => Map.Decide(roles, id, trusted ?? ["RR8", "RGD", "X12345"], Known, Assignments).Refusal;

        Assert.Equal(NationalRoleMap.RoleProfileNotInToken, Reason("9"));
        Assert.Equal(NationalRoleMap.RoleNotMapped, Reason("2"));
        Assert.Equal(NationalRoleMap.NoMatchingRoleAssignment, Reason("3"));
        Assert.Equal(NationalRoleMap.OrganisationNotTrusted, Reason("4"));
        Assert.Equal(NationalRoleMap.RoleNotMapped, Reason("5"));
        Assert.Equal(NationalRoleMap.OrganisationNotTrusted, Reason("1", trusted: ["RGD"]));
        Assert.Null(Reason("1"));
    }

    [Fact]
    public void A_configured_table_replaces_the_defaults()
    {
        var map = new NationalRoleMap([new NationalRoleMapping { NationalRoleCode = "R8000", PlatformRoleCode = RoleCatalogue.ClericalAccess }]);
        Assert.Equal(RoleCatalogue.ClericalAccess, map.PlatformRoleFor(Role("1", "RR8", "S8000:G8000:R8000")));
        Assert.Null(map.PlatformRoleFor(Role("1", "RR8", "S8000:G8003:R8001", "B0264")));
    }

    [Fact]
    public void Every_default_mapping_names_a_platform_role()
    {
        var catalogue = new RoleCatalogue(null);
        Assert.All(NationalRoleMap.Defaults, r => Assert.NotNull(catalogue.Find(r.PlatformRoleCode)));
    }

    [Theory]
    [InlineData("Authority", "http://cis2.example/", "absolute https URL")]
    [InlineData("Algorithm", "HS256", "asymmetric")]
    [InlineData("Audiences", "", "must not be empty")]
    [InlineData("Prefix", "", "empty SubjectPrefix")]
    public void Unsafe_provider_settings_are_refused_at_start(string what, string value, string problem)
    {
        FederatedProviderOptions Good(string name) => new()
        {
            Name = name, Authority = "https://cis2.example/", Audiences = ["epr"], AllowedOrganisations = ["RR8"], SubjectPrefix = name + ":",
        };
        var a = Good("a");
        var b = Good("b");
        switch (what)
        {
            case "Authority": a.Authority = value; break;
            case "Algorithm": a.AllowedAlgorithms = [value]; break;
            case "Audiences": a.Audiences = []; break;
            default: a.SubjectPrefix = value; b.SubjectPrefix = value; break;
        }

        Assert.Null(new FederationOptions { Providers = [Good("a"), Good("b")] }.Problem());
        Assert.Contains(problem, new FederationOptions { Providers = [a, b] }.Problem(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, "Development", true)]
    [InlineData(null, "Test", true)]
    [InlineData(null, "Production", false)]
    [InlineData(null, "Staging", false)]
    [InlineData(true, "Production", true)]
    [InlineData(false, "Development", false)]
    public void Password_sign_in_is_off_outside_development_and_test_unless_configured(bool? configured, string environment, bool open) =>
        Assert.Equal(open, new PasswordSignInOptions { Enabled = configured }.IsEnabled(environment));

    [Fact]
    public void The_development_provider_knows_every_seeded_professional_by_their_federated_subject_in_their_seeded_role()
    {
        var repo = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(repo!.FullName, "lcr-platform.sln")))
        {
            repo = repo.Parent;
        }

        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(repo.FullName, "tools", "dev-oidc", "people.json")));
        var people = doc.RootElement.GetProperty("people").EnumerateArray().ToDictionary(p => p.GetProperty("user_name").GetString()!);
        foreach (var seeded in IdentitySeeder.Professionals)
        {
            var person = people[seeded.UserName];
            Assert.Equal(seeded.FederatedSubject, person.GetProperty("sub").GetString());
            var roles = person.GetProperty("nhsid_nrbac_roles").EnumerateArray()
                .Select(r => new NrbacRole(r.GetProperty("person_roleid").GetString()!, r.GetProperty("org_code").GetString()!,
                    r.GetProperty("role_code").GetString()!, r.GetProperty("activity_codes").EnumerateArray().Select(x => x.GetString()!).ToList()))
                .ToList();
            Assert.Contains(roles, r => r.OrgCode == seeded.Ods && Map.PlatformRoleFor(r) == seeded.Role);
        }
    }
}
