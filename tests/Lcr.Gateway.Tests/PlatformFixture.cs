using System.Diagnostics;
using System.Security.Cryptography;
using Grpc.Net.Client;
using Lcr.Gateway.Downstream;
using Lcr.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Trace;

namespace Lcr.Gateway.Tests;

/// <summary>One internal service of the platform, in memory, on its own database.</summary>
public sealed class PlatformServiceHost<TEntry>(string connectionName, IReadOnlyDictionary<string, string?> settings) : ServiceHost<TEntry>
    where TEntry : class
{
    protected override string ConnectionName => connectionName;

    protected override IEnumerable<KeyValuePair<string, string?>> Settings() => settings;
}

/// <summary>
/// The whole platform as deployed, in one process: identity, demographics, consent, clinical
/// and audit each on a fresh database and seeded as <c>make run</c> seeds them, a private
/// Redis (so a test can kill it), internal credentials on, and the gateway in front. Tests
/// in the collection run one at a time against it.
/// </summary>
public sealed class PlatformFixture : IAsyncLifetime
{
    public const string Password = "Gateway-Test-Password-1";
    public const string ClientSecret = "gateway-test-client-secret-0001";
    public static readonly string InternalKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    /// <summary>The platform's one pseudonym key: the services' cache and version-record keys and the gateway's must agree.</summary>
    public static readonly string PseudonymKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    /// <summary>Every metric measurement of the run, from every host in this process (started before any host).</summary>
    public MetricCapture Metrics { get; } = new();

    public RedisServer Redis { get; private set; } = null!;
    public PlatformServiceHost<Lcr.Identity.Api.IdentityGrpcService> Identity { get; private set; } = null!;
    public PlatformServiceHost<Lcr.Demographics.Api.DemographicsGrpcService> Demographics { get; private set; } = null!;
    public PlatformServiceHost<Lcr.Consent.Api.ConsentGrpcService> Consent { get; private set; } = null!;
    public PlatformServiceHost<Lcr.Clinical.Api.ClinicalGrpcService> Clinical { get; private set; } = null!;
    public PlatformServiceHost<Lcr.Audit.Api.AuditGrpcService> Audit { get; private set; } = null!;
    public GatewayHost Gateway { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Redis = await RedisServer.StartAsync();
        var common = new Dictionary<string, string?>
        {
            ["Internal:SigningKey"] = InternalKey,
            ["ConnectionStrings:Redis"] = Redis.ConnectionString,
            ["Lcr:PseudonymKey"] = PseudonymKey,
        };
        Dictionary<string, string?> With(params (string Key, string? Value)[] extra)
        {
            var d = new Dictionary<string, string?>(common);
            foreach (var (k, v) in extra)
            {
                d[k] = v;
            }

            return d;
        }

        Identity = new("Identity", With(
            ("Identity:KeyEncryptionKey", Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))),
            ("Identity:SeedPassword", Password),
            ("Identity:SeedClientSecret", ClientSecret),
            // Federated sign-in: the real development OpenID Connect provider (make test starts it).
            ("Identity:Federation:Providers:0:Name", "dev-oidc"),
            ("Identity:Federation:Providers:0:Authority", DevOidcProvider.Issuer),
            ("Identity:Federation:Providers:0:RequireHttpsMetadata", "false"),
            ("Identity:Federation:Providers:0:Audiences:0", "b86001-gp-system"),
            ("Identity:Federation:Providers:0:AllowedOrganisations:0", "B86001")));
        Demographics = new("Demographics", With());
        Consent = new("Consent", With());
        Clinical = new("Clinical", With());
        Audit = new("Audit", With());
        await Task.WhenAll(Identity.InitializeAsync(), Demographics.InitializeAsync(), Consent.InitializeAsync(),
            Clinical.InitializeAsync(), Audit.InitializeAsync());
        await Task.WhenAll(Identity.SeedAsync(), Demographics.SeedAsync(), Consent.SeedAsync(), Clinical.SeedAsync());
        Gateway = CreateGateway();
    }

    /// <summary>A gateway in front of this platform; variants substitute services, the clock or settings (e.g. another Redis).</summary>
    public GatewayHost CreateGateway(Action<IServiceCollection>? configure = null, Func<string, HttpMessageHandler, HttpMessageHandler>? wrap = null,
        IReadOnlyDictionary<string, string>? settings = null) =>
        new(this, configure, wrap, settings);

    /// <summary>
    /// Starts the fixture's Redis again after a test stopped it and waits until every host's
    /// connection is back (the writers refuse changes until they can announce them), so the next
    /// test does not meet a reconnecting service.
    /// </summary>
    public async Task RestartRedisAsync()
    {
        await Redis.StartAgainAsync();
        var hosts = new[] { Identity.Services, Demographics.Services, Consent.Services, Clinical.Services, Audit.Services, Gateway.Services };
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        foreach (var services in hosts)
        {
            if (services.GetService<StackExchange.Redis.IConnectionMultiplexer>() is not { } redis)
            {
                continue;
            }

            while (true)
            {
                try
                {
                    await redis.GetDatabase().PingAsync();
                    break;
                }
                catch (Exception e) when (e is StackExchange.Redis.RedisException or TimeoutException && DateTime.UtcNow < until)
                {
                    await Task.Delay(100);
                }
            }
        }
    }

    internal HttpMessageHandler HandlerFor(string service) => service switch
    {
        ServiceNames.Identity => Identity.CreateHandler(),
        ServiceNames.Demographics => Demographics.CreateHandler(),
        ServiceNames.Consent => Consent.CreateHandler(),
        ServiceNames.Clinical => Clinical.CreateHandler(),
        ServiceNames.Audit => Audit.CreateHandler(),
        _ => throw new ArgumentOutOfRangeException(nameof(service)),
    };

    /// <summary>
    /// What the platform emitted so far, as searchable text: every log line and span of the six
    /// hosts, and every metric instrument and tag set measured in this process.
    /// </summary>
    public IEnumerable<(string Source, IEnumerable<string> Lines)> Telemetry()
    {
        foreach (var (name, logs, spans) in new (string, LogCapture, List<Activity>)[]
        {
            ("gateway", Gateway.Logs, Gateway.Spans), ("identity", Identity.Logs, Identity.Spans), ("consent", Consent.Logs, Consent.Spans),
            ("clinical", Clinical.Logs, Clinical.Spans), ("demographics", Demographics.Logs, Demographics.Spans), ("audit", Audit.Logs, Audit.Spans),
        })
        {
            yield return ($"{name} log", logs.Lines);
            yield return ($"{name} spans", SpanText.Of(SnapshotOf(spans)));
        }

        yield return ("metrics", Metrics.Lines);
    }

    /// <summary>A copy of a capture the exporter may be appending to on another thread.</summary>
    public static Activity[] SnapshotOf(List<Activity> spans)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return spans.ToArray();
            }
            catch (ArgumentException) when (attempt < 10)
            {
                // The list grew during the copy; take it again.
            }
        }
    }

    public async Task DisposeAsync()
    {
        // Keep the gateway's error log lines (scrubbed, as in production) for diagnosing failures.
        var errors = Gateway.Logs.Lines.Where(l => l.Contains("\"level\":\"Error\"", StringComparison.Ordinal)).ToList();
        if (errors.Count > 0)
        {
            await File.WriteAllLinesAsync(Path.Combine(Path.GetTempPath(), "lcr-gateway-test-errors.log"), errors);
        }

        await Gateway.DisposeAsync();
        await Task.WhenAll(Identity.DisposeAsync(), Demographics.DisposeAsync(), Consent.DisposeAsync(), Clinical.DisposeAsync(), Audit.DisposeAsync());
        await Redis.DisposeAsync();

        // The whole run, after its last test: no seeded patient's data in any log line, span or
        // metric any host emitted (a leak fails the run as the collection's cleanup failure).
        foreach (var (source, lines) in Telemetry())
        {
            PatientDataScan.AssertNone($"The test run's {source}", lines);
        }

        Metrics.Dispose();
    }
}

/// <summary>The gateway in memory, calling the fixture's in-memory services.</summary>
public sealed class GatewayHost : IAsyncDisposable
{
    private readonly WebApplicationFactory<Lcr.Gateway.Api.GatewayGrpcService> _factory;

    internal GatewayHost(PlatformFixture platform, Action<IServiceCollection>? configure, Func<string, HttpMessageHandler, HttpMessageHandler>? wrap,
        IReadOnlyDictionary<string, string>? settings = null)
    {
        _factory = new WebApplicationFactory<Lcr.Gateway.Api.GatewayGrpcService>().WithWebHostBuilder(b =>
        {
            b.UseEnvironment("Test");
            b.UseSetting("Internal:SigningKey", PlatformFixture.InternalKey);
            b.UseSetting("Lcr:PseudonymKey", PlatformFixture.PseudonymKey);
            // A loaded test machine may take longer than production's 250 ms to answer a version
            // probe; a probe that times out reuses nothing by design, which would hide the cache.
            b.UseSetting("Lcr:PatientVersions:ProbeTimeout", "00:00:03");
            foreach (var name in ServiceNames.All)
            {
                b.UseSetting($"Services:{name}", "http://localhost");
            }

            b.UseSetting("Gateway:RateLimit:PermitsPerSecond", "10000");
            b.UseSetting("Gateway:RateLimit:Burst", "10000");
            b.UseSetting("Gateway:DefaultCallTimeout", "00:00:10");
            b.UseSetting("Gateway:Cors:AllowedOrigins:0", BrowserOrigin);
            b.UseSetting("ConnectionStrings:Redis", platform.Redis.ConnectionString); // view-surge counts and version records, on the fixture's own Redis
            foreach (var (key, value) in settings ?? new Dictionary<string, string>())
            {
                b.UseSetting(key, value);
            }
            b.ConfigureTestServices(s =>
            {
                s.AddSingleton<IDownstreamHandlerFactory>(new InMemoryHandlers(platform, wrap));
                s.AddSingleton<ILoggerProvider>(Logs);
                s.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(Spans));
                configure?.Invoke(s);
            });
        });
        Channel = GrpcChannel.ForAddress(_factory.Server.BaseAddress, new GrpcChannelOptions { HttpHandler = _factory.Server.CreateHandler() });
    }

    /// <summary>The one browser application origin the test gateway allows (CORS).</summary>
    public const string BrowserOrigin = "https://care.example.test";

    public GrpcChannel Channel { get; }

    /// <summary>Plain HTTP/1.1 to the gateway (JSON over HTTP, OpenAPI, CORS preflights).</summary>
    public HttpClient CreateHttpClient() => _factory.CreateClient();

    /// <summary>The in-memory server's handler, for clients that wrap it (gRPC-Web).</summary>
    public HttpMessageHandler CreateHandler() => _factory.Server.CreateHandler();

    public LogCapture Logs { get; } = new();

    public List<Activity> Spans { get; } = [];

    public IServiceProvider Services => _factory.Services;

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        await _factory.DisposeAsync();
    }

    private sealed class InMemoryHandlers(PlatformFixture platform, Func<string, HttpMessageHandler, HttpMessageHandler>? wrap) : IDownstreamHandlerFactory
    {
        public HttpMessageHandler Create(string service)
        {
            HttpMessageHandler handler = new TracePropagatingHandler { InnerHandler = platform.HandlerFor(service) };
            return wrap is null ? handler : wrap(service, handler);
        }
    }
}

/// <summary>Adds W3C trace context to outgoing requests, as SocketsHttpHandler does on a real network.</summary>
public sealed class TracePropagatingHandler : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        DistributedContextPropagator.Current.Inject(Activity.Current, request,
            static (carrier, key, value) => ((HttpRequestMessage)carrier!).Headers.TryAddWithoutValidation(key, value));
        return base.SendAsync(request, cancellationToken);
    }
}

/// <summary>Fails every call as an unreachable service would.</summary>
public sealed class UnreachableHandler : HttpMessageHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        throw new HttpRequestException("Connection refused (test: service down)", new System.Net.Sockets.SocketException(111));
}

/// <summary>A service that accepts the call and never answers (as one stuck starting up or on a lock would).</summary>
public sealed class HangingHandler : HttpMessageHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        await Task.Delay(Timeout.Infinite, cancellationToken);
        throw new OperationCanceledException(cancellationToken);
    }
}

[CollectionDefinition(Name)]
public sealed class PlatformCollection : ICollectionFixture<PlatformFixture>
{
    public const string Name = "platform";
}
