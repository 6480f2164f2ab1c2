using System.Net;
using System.Net.Sockets;

namespace Lcr.Cli.Tests;

/// <summary>
/// `lcr health --address URL` as the platform team uses it against a port-forwarded gateway: the real lcr
/// process, the real gateway process, nothing else configured (docs/cli.md, docs/operations.md).
/// </summary>
public sealed partial class EndToEndTests
{
    [Fact]
    public async Task Health_with_one_address_checks_that_gateway_alone_and_exits_0()
    {
        var address = fixture.Platform.GatewayAddress;
        var gatewayPort = new Uri(address).Port;

        // The next five ports are where an earlier lcr guessed the internal services (the make run layout):
        // hold every one of them that is free, so that a knock on any would be seen.
        var decoys = new List<TcpListener>();
        for (var port = gatewayPort + 1; port <= gatewayPort + 5 && port <= IPEndPoint.MaxPort; port++)
        {
            var listener = new TcpListener(IPAddress.Loopback, port);
            try
            {
                listener.Start();
                decoys.Add(listener);
            }
            catch (SocketException)
            {
                listener.Dispose(); // in use by another process: not ours to watch
            }
        }

        try
        {
            var run = await Lcr(withPlatformAddresses: false, ["health", "--address", address, "--json"]);

            Ok(run);
            var only = Assert.Single(run.Json.GetProperty("services").EnumerateArray());
            Assert.Equal(address, only.GetProperty("address").GetString());
            Assert.Equal("SERVING", only.GetProperty("status").GetString());
            Assert.True(run.Json.GetProperty("allServing").GetBoolean());
            Assert.All(decoys, d => Assert.False(d.Pending(), $"lcr health connected to {d.LocalEndpoint}, which it was not given"));
        }
        finally
        {
            decoys.ForEach(d => d.Dispose());
        }
    }

    [Fact]
    public async Task Health_with_one_address_that_is_closed_exits_6_naming_the_address_and_UNAVAILABLE()
    {
        int closed;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            closed = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        var address = $"http://127.0.0.1:{closed}";
        var run = await Lcr(withPlatformAddresses: false, ["health", "--address", address]);

        Assert.True(run.ExitCode == 6, run.ToString()); // docs/cli.md: 6 when any address checked is not SERVING
        Assert.Contains(address, run.Out);
        Assert.Contains("UNAVAILABLE", run.Out);
        Assert.DoesNotContain("identity", run.Out); // the one address, no guessed services
        Assert.DoesNotContain("Unhandled exception", run.Error);
    }
}
