using Lcr.Gateway.Http;

namespace Lcr.Gateway.Tests.Http;

/// <summary>The CORS origin rules, without a host.</summary>
public class BrowserCorsPolicyUnitTests
{
    [Theory]
    [InlineData("*")]
    [InlineData("https://*.example.nhs.uk")]
    public void A_wildcard_origin_is_refused_in_production_without_quoting_it(string origin)
    {
        var e = Assert.Throws<InvalidOperationException>(() => BrowserCorsPolicy.Validate([origin], production: true));
        Assert.Contains(BrowserCorsPolicy.ConfigurationKey, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(origin, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("*")]
    [InlineData("https://*.example.nhs.uk")]
    public void A_wildcard_origin_is_accepted_outside_production(string origin) =>
        Assert.Equal([origin], BrowserCorsPolicy.Validate([origin], production: false));

    [Theory]
    [InlineData("care.example.nhs.uk")]
    [InlineData("https://care.example.nhs.uk/app")]
    [InlineData("https://care.example.nhs.uk?x=1")]
    [InlineData("ftp://care.example.nhs.uk")]
    [InlineData("https://user@care.example.nhs.uk")]
    public void An_entry_that_is_not_an_origin_is_refused(string origin) =>
        Assert.Throws<InvalidOperationException>(() => BrowserCorsPolicy.Validate([origin], production: true));

    [Fact]
    public void Exact_origins_are_kept_trimmed_and_deduplicated_and_blanks_ignored() =>
        Assert.Equal(["https://care.example.nhs.uk", "http://localhost:5173"],
            BrowserCorsPolicy.Validate(["https://care.example.nhs.uk/", " https://CARE.example.nhs.uk", "", null, "http://localhost:5173"], production: true));

    [Fact]
    public void The_policy_allows_only_the_listed_origins_exposes_the_grpc_status_headers_and_no_credentials()
    {
        var policy = BrowserCorsPolicy.Build(["https://care.example.nhs.uk"]);
        Assert.True(policy.IsOriginAllowed("https://care.example.nhs.uk"));
        Assert.False(policy.IsOriginAllowed("https://evil.example"));
        Assert.False(policy.SupportsCredentials);
        Assert.Contains("grpc-status-details-bin", policy.ExposedHeaders);
        Assert.Contains("authorization", policy.Headers);
    }

    [Fact]
    public void No_origin_configured_allows_no_cross_origin_call() =>
        Assert.False(BrowserCorsPolicy.Build(BrowserCorsPolicy.Validate([], production: true)).IsOriginAllowed("https://care.example.nhs.uk"));
}
