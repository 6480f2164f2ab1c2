using Lcr.Gateway.Http;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Lcr.Gateway.Tests.Http;

/// <summary>The gateway refuses to start in Production with a wildcard browser origin.</summary>
public class ProductionStartupTests
{
    [Theory]
    [InlineData("*")]
    [InlineData("https://*.example.nhs.uk")]
    public void The_gateway_does_not_start_in_production_with_a_wildcard_cors_origin(string origin)
    {
        using var factory = new WebApplicationFactory<Lcr.Gateway.Api.GatewayGrpcService>().WithWebHostBuilder(b =>
        {
            b.UseEnvironment("Production");
            b.UseSetting("Gateway:Cors:AllowedOrigins:0", "https://care.example.nhs.uk");
            b.UseSetting("Gateway:Cors:AllowedOrigins:1", origin);
        });
        var e = Assert.ThrowsAny<Exception>(() => factory.Server);
        var all = string.Join(" | ", Chain(e).Select(x => x.Message));
        Assert.Contains(BrowserCorsPolicy.ConfigurationKey, all, StringComparison.Ordinal);
    }

    private static IEnumerable<Exception> Chain(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            yield return x;
        }
    }
}
