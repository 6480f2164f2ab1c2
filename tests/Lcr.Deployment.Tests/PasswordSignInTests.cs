namespace Lcr.Deployment.Tests;

/// <summary>Issue 18: the platform's own passwords are for development only.</summary>
public sealed class PasswordSignInTests
{
    [Fact]
    public void Production_switches_password_sign_in_off_and_dev_leaves_it_to_the_development_default()
    {
        var production = Manifests.Render("production").Find("ConfigMap", "lcr-identity");
        Assert.NotNull(production);
        Assert.Equal("false", Manifests.StringMap(production.Json["data"]).GetValueOrDefault("Identity__PasswordSignIn__Enabled"));

        var dev = Manifests.Render("dev").Find("ConfigMap", "lcr-identity");
        Assert.NotNull(dev);
        Assert.False(Manifests.StringMap(dev.Json["data"]).ContainsKey("Identity__PasswordSignIn__Enabled"));
    }
}
