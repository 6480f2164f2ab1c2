using Grpc.Net.Client;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Lcr.Testing;

/// <summary>
/// Another instance of a service (a second replica) on an existing host's database, with a
/// Redis of the test's choosing (e.g. a private one the test stops) and the host's other
/// settings given again. Disposed by the test that makes it.
/// </summary>
/// <typeparam name="TEntryPoint">Any type in the service's assembly.</typeparam>
public sealed class ServiceReplica<TEntryPoint> : IAsyncDisposable
    where TEntryPoint : class
{
    private readonly WebApplicationFactory<TEntryPoint> _factory;

    public ServiceReplica(string connectionName, string databaseConnectionString, string redis,
        IEnumerable<KeyValuePair<string, string?>>? settings = null)
    {
        _factory = new WebApplicationFactory<TEntryPoint>().WithWebHostBuilder(b =>
        {
            b.UseEnvironment("Test");
            b.UseSetting($"ConnectionStrings:{connectionName}", databaseConnectionString);
            b.UseSetting("ConnectionStrings:Redis", redis);
            b.UseSetting("Lcr:WarmUp:Rounds", "0"); // as ServiceHost: no start-up warm-up in test hosts
            foreach (var (k, v) in settings ?? [])
            {
                b.UseSetting(k, v);
            }
        });
        Channel = GrpcChannel.ForAddress(_factory.Server.BaseAddress, new GrpcChannelOptions { HttpHandler = _factory.Server.CreateHandler() });
    }

    public GrpcChannel Channel { get; }

    public IServiceProvider Services => _factory.Services;

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        await _factory.DisposeAsync();
    }
}
