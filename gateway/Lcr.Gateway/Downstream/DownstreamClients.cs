using Grpc.Core;
using Grpc.Net.Client.Balancer;
using Grpc.Net.Client.Configuration;
using Grpc.Net.ClientFactory;
using Lcr.Audit.V1;
using Lcr.Clinical.V1;
using Lcr.Consent.V1;
using Lcr.Demographics.V1;
using Lcr.Identity.V1;
using Lcr.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace Lcr.Gateway.Downstream;

/// <summary>
/// The five internal services as typed gRPC clients (<c>AddGrpcClient</c>), each with client-side
/// round robin (for <c>dns:///</c> addresses resolving to every pod behind a headless Service) and
/// gRPC's own retry policy: UNAVAILABLE only, at most 3 attempts, and only on idempotent calls: the
/// reads, and audit's RecordEvents, which is idempotent by the caller-supplied event id. Every call
/// goes through <see cref="DownstreamInterceptor"/>.
/// </summary>
public static class DownstreamClients
{
    /// <summary>The name of the identity client without the interceptor, for the signing key fetch.</summary>
    public const string IdentityKeys = "IdentityKeys";

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

    /// <summary>Registers the typed clients, their interceptor and the real socket transport.</summary>
    public static IServiceCollection AddDownstreamClients(this IServiceCollection services)
    {
        services.AddSingleton<IDownstreamHandlerFactory, SocketsHandlerFactory>();
        services.AddSingleton<DownstreamBreakers>();
        Add<IdentityService.IdentityServiceClient>(services, ServiceNames.Identity);
        Add<DemographicsService.DemographicsServiceClient>(services, ServiceNames.Demographics);
        Add<ConsentService.ConsentServiceClient>(services, ServiceNames.Consent);
        Add<ClinicalRecordService.ClinicalRecordServiceClient>(services, ServiceNames.Clinical);
        Add<AuditService.AuditServiceClient>(services, ServiceNames.Audit);

        // The signing key fetch (DownstreamSigningKeySource): the identity service's address and
        // transport, the gateway's credential, no breaker or deadline reserve (the token verifier
        // has its own timeout and keeps its last keys).
        Configure(services.AddGrpcClient<IdentityService.IdentityServiceClient>(IdentityKeys), ServiceNames.Identity)
            .AddInterceptor(sp => new PlatformCredentialInterceptor(sp.GetRequiredService<InternalCredentialsHolder>()));
        return services;
    }

    private static void Add<TClient>(IServiceCollection services, string name)
        where TClient : class =>
        Configure(services.AddGrpcClient<TClient>(), name)
            .AddInterceptor(sp => new DownstreamInterceptor(name, sp.GetRequiredService<DownstreamBreakers>(),
                sp.GetRequiredService<IOptions<DownstreamOptions>>(), sp.GetRequiredService<InternalCredentialsHolder>(),
                sp.GetRequiredService<TimeProvider>()));

    private static IHttpClientBuilder Configure(IHttpClientBuilder client, string name)
    {
        client.Services.AddOptions<GrpcClientFactoryOptions>(client.Name)
            .Configure<IOptions<DownstreamOptions>>((o, downstream) => o.Address = new Uri(AddressOf(downstream.Value, name)));
        return client
            .ConfigurePrimaryHttpMessageHandler(sp => sp.GetRequiredService<IDownstreamHandlerFactory>().Create(name))
            .ConfigureChannel((sp, o) =>
            {
                var address = AddressOf(sp.GetRequiredService<IOptions<DownstreamOptions>>().Value, name);
                var serviceConfig = new ServiceConfig { MethodConfigs = { RetryPolicyOf(name) } };
                if (sp.GetRequiredService<IDownstreamHandlerFactory>() is SocketsHandlerFactory)
                {
                    // Client-side load balancing needs the real socket transport (not in-memory test servers).
                    serviceConfig.LoadBalancingConfigs.Add(new RoundRobinConfig());
                }

                o.ServiceConfig = serviceConfig;
                o.ServiceProvider = ResolverServices;
                o.Credentials = address.StartsWith("https", StringComparison.OrdinalIgnoreCase) ? ChannelCredentials.SecureSsl : ChannelCredentials.Insecure;
                o.MaxReceiveMessageSize = 32 * 1024 * 1024;
            })

            // The factory would otherwise replace the handler (and with it the channel's HTTP/2
            // connections and round-robin subchannels) every 2 minutes: connections here are meant
            // to live for the process (PooledConnectionIdleTimeout infinite, keep-alive pings) and
            // DNS changes are picked up by the resolver's 30 s refresh, not by new handlers. The
            // typed clients are also held by singletons, which would keep an expired handler anyway.
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan)

            // No HttpClientFactory request logging: four Information lines per downstream call on
            // the read path (gRPC's own client logging and the traces already cover it).
            .RemoveAllLoggers();
    }

    /// <summary>The configured address of <paramref name="name"/>; a missing one stops the gateway at start.</summary>
    private static string AddressOf(DownstreamOptions options, string name) =>
        options.Services.TryGetValue(name, out var address) && !string.IsNullOrWhiteSpace(address)
            ? address
            : throw new InvalidOperationException($"Services:{name} (the {name.ToLowerInvariant()} service's address) is not configured.");

    private static MethodConfig RetryPolicyOf(string name)
    {
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

        return retry;
    }
}
