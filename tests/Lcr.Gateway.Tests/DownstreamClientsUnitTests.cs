using Lcr.Gateway.Downstream;
using Lcr.Identity.V1;
using Lcr.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;

namespace Lcr.Gateway.Tests;

/// <summary>The typed clients' registration on the real socket transport (no host, no network).</summary>
public sealed class DownstreamClientsUnitTests
{
    private static ServiceProvider Services(Action<DownstreamOptions> configure)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(new InternalCredentialsHolder(null));
        services.AddOptions<DownstreamOptions>().Configure(configure);
        services.AddDownstreamClients();
        return services.BuildServiceProvider();
    }

    [Fact]
    public void A_dns_address_gets_a_round_robin_channel_on_the_socket_transport()
    {
        using var services = Services(o =>
        {
            foreach (var name in ServiceNames.All)
            {
                o.Services[name] = "dns:///localhost:1";
            }
        });
        Assert.NotNull(services.GetRequiredService<IdentityService.IdentityServiceClient>());
    }

    [Fact]
    public void A_missing_address_is_named_when_the_client_is_made()
    {
        using var services = Services(o => o.Services[ServiceNames.Consent] = "http://127.0.0.1:1");
        var e = Assert.Throws<InvalidOperationException>(() => services.GetRequiredService<IdentityService.IdentityServiceClient>());
        Assert.Equal("Services:Identity (the identity service's address) is not configured.", e.Message);
    }
}
