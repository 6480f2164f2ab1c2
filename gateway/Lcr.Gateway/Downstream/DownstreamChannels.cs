using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Net.Client.Balancer;
using Grpc.Net.Client.Configuration;
using Microsoft.Extensions.Options;

namespace Lcr.Gateway.Downstream;

/// <summary>Creates the HTTP handler under each downstream channel (tests substitute in-memory servers).</summary>
public interface IDownstreamHandlerFactory
{
    HttpMessageHandler Create(string service);
}

internal sealed class SocketsHandlerFactory : IDownstreamHandlerFactory
{
    public HttpMessageHandler Create(string service) => new SocketsHttpHandler
    {
        EnableMultipleHttp2Connections = true,
        PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
        KeepAlivePingDelay = TimeSpan.FromSeconds(30),
        KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
        ConnectTimeout = TimeSpan.FromSeconds(2),
    };
}

/// <summary>
/// One long-lived channel per internal service, with client-side round robin (for
/// <c>dns:///</c> addresses resolving to every pod behind a headless Service) and gRPC's own
/// retry policy: UNAVAILABLE only, at most 3 attempts, and only on idempotent calls: the reads,
/// and audit's RecordEvents, which is idempotent by the caller-supplied event id.
/// </summary>
public sealed class DownstreamChannels : IDisposable
{
    private static readonly Dictionary<string, (string Service, string[] Methods)> Idempotent = new()
    {
        [ServiceNames.Identity] = ("lcr.identity.v1.IdentityService", ["ListSigningKeys", "ListCareRelationships", "GetOrganisation", "ListOrganisations", "GetProfessional", "ListProfessionals"]),
        [ServiceNames.Demographics] = ("lcr.demographics.v1.DemographicsService", ["GetPatient", "SearchPatients", "ListPatientHistory"]),
        [ServiceNames.Consent] = ("lcr.consent.v1.ConsentService", ["GetConsent", "ListConsentHistory", "EvaluateAccess"]),
        [ServiceNames.Clinical] = ("lcr.clinical.v1.ClinicalRecordService", ["GetRecordSummary", "ListEntries", "GetEntry", "GetDocumentContent", "ListEntryHistory"]),
        [ServiceNames.Audit] = ("lcr.audit.v1.AuditService", ["RecordEvents", "ListEventsByPatient", "ListEventsByActor", "VerifyChain"]),
    };

    /// <summary>
    /// Re-resolve <c>dns:///</c> addresses every 30 s, so pods added by scaling receive calls
    /// without waiting for a connection to drop.
    /// </summary>
    private static readonly IServiceProvider ResolverServices = new ServiceCollection()
        .AddSingleton<ResolverFactory>(new DnsResolverFactory(refreshInterval: TimeSpan.FromSeconds(30)))
        .BuildServiceProvider();

    private readonly Dictionary<string, GrpcChannel> _channels = new(StringComparer.OrdinalIgnoreCase);

    public DownstreamChannels(IOptions<DownstreamOptions> options, IDownstreamHandlerFactory handlers, ILoggerFactory loggers)
    {
        foreach (var name in ServiceNames.All)
        {
            if (!options.Value.Services.TryGetValue(name, out var address) || string.IsNullOrWhiteSpace(address))
            {
                throw new InvalidOperationException($"Services:{name} (the {name.ToLowerInvariant()} service's address) is not configured.");
            }

            var (service, methods) = Idempotent[name];
            var retry = new MethodConfig
            {
                RetryPolicy = new RetryPolicy
                {
                    MaxAttempts = 3,
                    InitialBackoff = TimeSpan.FromMilliseconds(50),
                    MaxBackoff = TimeSpan.FromMilliseconds(400),
                    BackoffMultiplier = 2,
                    RetryableStatusCodes = { StatusCode.Unavailable },
                },
            };
            foreach (var m in methods)
            {
                retry.Names.Add(new MethodName { Service = service, Method = m });
            }

            var handler = handlers.Create(name);
            var serviceConfig = new ServiceConfig { MethodConfigs = { retry } };
            if (handler is SocketsHttpHandler)
            {
                // Client-side load balancing needs the real socket transport (not in-memory test servers).
                serviceConfig.LoadBalancingConfigs.Add(new RoundRobinConfig());
            }

            _channels[name] = GrpcChannel.ForAddress(address, new GrpcChannelOptions
            {
                HttpHandler = handler,
                ServiceProvider = ResolverServices,
                Credentials = address.StartsWith("https", StringComparison.OrdinalIgnoreCase) ? ChannelCredentials.SecureSsl : ChannelCredentials.Insecure,
                ServiceConfig = serviceConfig,
                MaxReceiveMessageSize = 32 * 1024 * 1024,
                LoggerFactory = loggers,
                DisposeHttpClient = true,
            });
        }
    }

    public GrpcChannel this[string service] => _channels[service];

    public void Dispose()
    {
        foreach (var c in _channels.Values)
        {
            c.Dispose();
        }
    }
}
