namespace Lcr.Deployment.Tests;

/// <summary>
/// Issue 18: production signs professionals in through NHS CIS2 only (passwords are off there), so
/// its overlay configures CIS2 as identity's provider; the values only an operator knows (the
/// clinical systems' CIS2 client ids, the taking-part organisations) are REPLACE-ME placeholders
/// that k8s/deploy.sh refuses to apply unchanged.
/// </summary>
public sealed class FederationProviderTests
{
    private const string Provider = "Identity__Federation__Providers__0__";

    [Fact]
    public void Production_configures_CIS2_live_over_https_with_assurance_level_3()
    {
        var identity = Manifests.Render("production").Find("ConfigMap", "lcr-identity");
        Assert.NotNull(identity);
        var data = Manifests.StringMap(identity.Json["data"]);

        Assert.Equal("cis2", data[Provider + "Name"]);
        Assert.Equal("https://am.nhsidentity.spineservices.nhs.uk:443/openam/oauth2/realms/root/realms/NHSIdentity/realms/Healthcare",
            data[Provider + "Authority"]);
        Assert.StartsWith("https://am.nhsidentity.spineservices.nhs.uk/", data[Provider + "MetadataAddress"], StringComparison.Ordinal);
        Assert.EndsWith("/.well-known/openid-configuration", data[Provider + "MetadataAddress"], StringComparison.Ordinal);
        Assert.Equal("3", data[Provider + "MinimumAssuranceLevel"]);
        Assert.False(data.ContainsKey(Provider + "RequireHttpsMetadata"), "only the loopback development provider may turn HTTPS metadata off");
        Assert.True(data.ContainsKey(Provider + "Audiences__0"));
        Assert.True(data.ContainsKey(Provider + "AllowedOrganisations__0"));
        Assert.Equal("false", data["Identity__PasswordSignIn__Enabled"]);
    }

    [Fact]
    public void Deploy_refuses_the_production_overlay_while_a_placeholder_is_left_and_names_the_keys()
    {
        var result = Repo.Run("bash", ["k8s/deploy.sh", "--check", "k8s/overlays/production"]);

        Assert.Equal(3, result.ExitCode);
        Assert.Contains(Provider + "Audiences__0", result.Stderr, StringComparison.Ordinal);
        Assert.Contains(Provider + "AllowedOrganisations__0", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("== foundation", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Deploy_accepts_the_dev_overlay_and_a_production_overlay_whose_placeholders_are_set()
    {
        Assert.Equal(0, Repo.Run("bash", ["k8s/deploy.sh", "--check", "k8s/overlays/dev"]).ExitCode);

        // The other placeholders set as well (PlaceholderTests covers each kind).
        var result = PlaceholderTests.CheckProductionSet("");
        Assert.True(result.ExitCode == 0, result.Stderr);
    }
}
