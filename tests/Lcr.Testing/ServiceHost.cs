using System.Diagnostics;
using Grpc.Net.Client;
using Lcr.ServiceDefaults;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Trace;
using Xunit;

namespace Lcr.Testing;

/// <summary>
/// Hosts one real service in memory (<see cref="WebApplicationFactory{TEntryPoint}"/>) on its
/// own fresh PostgreSQL database, migrated, with a private redis-server of its own (a real Redis
/// that no other test or dev process shares: the patient version store records which pseudonym
/// key its writers use, and hosts with different keys must not meet there), and a gRPC channel
/// to it. Captures its log lines and spans. One per test class (xunit class fixture).
/// </summary>
/// <typeparam name="TEntryPoint">Any type in the service's assembly.</typeparam>
public abstract class ServiceHost<TEntryPoint> : IAsyncLifetime
    where TEntryPoint : class
{
    private WebApplicationFactory<TEntryPoint>? _factory;

    /// <summary>The connection-string name the service reads (e.g. "Demographics").</summary>
    protected abstract string ConnectionName { get; }

    public TestDatabase Database { get; private set; } = null!;

    /// <summary>The host's own redis-server (a subclass's <see cref="Settings"/> may point the service elsewhere).</summary>
    public RedisServer OwnRedisServer { get; private set; } = null!;

    /// <summary>StackExchange.Redis configuration of the host's own Redis, e.g. for a second replica.</summary>
    public string RedisConnectionString => OwnRedisServer.ConnectionString;

    public GrpcChannel Channel { get; private set; } = null!;

    public LogCapture Logs { get; } = new();

    public List<Activity> Spans { get; } = [];

    public IServiceProvider Services => _factory!.Services;

    /// <summary>A new HTTP handler into the in-memory server, e.g. for another host's gRPC channel.</summary>
    public HttpMessageHandler CreateHandler() => _factory!.Server.CreateHandler();

    /// <summary>Runs the service's development seeders (as <c>make run</c> does) against its database.</summary>
    public async Task SeedAsync()
    {
        foreach (var seeder in _factory!.Services.GetServices<IDevelopmentSeeder>())
        {
            await seeder.SeedAsync(CancellationToken.None);
        }
    }

    /// <summary>False for a host that must not touch its database (e.g. one that is unreachable on purpose).</summary>
    protected virtual bool MigrateDatabase => true;

    /// <summary>Extra configuration for the host, as key/value settings.</summary>
    protected virtual IEnumerable<KeyValuePair<string, string?>> Settings() => [];

    /// <summary>Extra service registrations, applied after the service's own (e.g. a test clock).</summary>
    protected virtual void ConfigureServices(IServiceCollection services)
    {
    }

    public async Task InitializeAsync()
    {
        Database = await TestDatabase.CreateAsync();
        OwnRedisServer = await RedisServer.StartAsync();
        _factory = new WebApplicationFactory<TEntryPoint>().WithWebHostBuilder(b =>
        {
            b.UseEnvironment("Test");
            b.UseSetting($"ConnectionStrings:{ConnectionName}", Database.ConnectionString);
            b.UseSetting("ConnectionStrings:Redis", OwnRedisServer.ConnectionString);
            // No start-up warm-up in in-memory test hosts (its reads would meet the spans, logs and
            // query counts tests assert on); WarmUpTests turn it on where it is the subject.
            b.UseSetting("Lcr:WarmUp:Rounds", "0");
            foreach (var (k, v) in Settings())
            {
                b.UseSetting(k, v);
            }

            b.ConfigureTestServices(s =>
            {
                s.AddSingleton<ILoggerProvider>(Logs);
                s.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(Spans));
                ConfigureServices(s);
            });
        });

        foreach (var migrator in MigrateDatabase ? _factory.Services.GetServices<IDatabaseMigrator>() : [])
        {
            await migrator.MigrateAsync(CancellationToken.None);
        }

        Channel = GrpcChannel.ForAddress(_factory.Server.BaseAddress, new GrpcChannelOptions
        {
            HttpHandler = _factory.Server.CreateHandler(),
        });
    }

    public async Task DisposeAsync()
    {
        Channel?.Dispose();
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }

        await Database.DisposeAsync();
        if (OwnRedisServer is not null)
        {
            await OwnRedisServer.DisposeAsync();
        }
    }
}
