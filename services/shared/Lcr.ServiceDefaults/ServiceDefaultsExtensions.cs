using Grpc.AspNetCore.Server;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using StackExchange.Redis;

namespace Lcr.ServiceDefaults;

/// <summary>
/// The wiring every service and the gateway share. A service's Program.cs is a dozen
/// lines: <c>builder.AddServiceDefaults("demographics")</c>, its own registrations,
/// <c>app.MapDefaultEndpoints()</c>, <c>app.RunServiceAsync(args)</c>.
/// </summary>
public static class ServiceDefaultsExtensions
{
    /// <summary>The health service names Kubernetes probes ask for.</summary>
    public const string LivenessService = "liveness";
    public const string ReadinessService = "readiness";
    public const string LiveTag = "live";
    public const string ReadyTag = "ready";

    /// <summary>Activity source and meter prefix for the platform's own spans and metrics.</summary>
    public const string TelemetryPrefix = "Lcr.";

    /// <param name="builder">The service's builder.</param>
    /// <param name="serviceName">Short name: "demographics", "gateway", ...</param>
    /// <param name="publicFacing">True for the gateway: it accepts external callers (who present
    /// access tokens), so it does not demand the internal credential it signs for others.</param>
    public static WebApplicationBuilder AddServiceDefaults(this WebApplicationBuilder builder, string serviceName, bool publicFacing = false)
    {
        // Before any concurrent request can build a descriptor for the first time (ProtoDescriptors).
        ProtoDescriptors.BuildAll();
        builder.Services.AddSingleton(new ServiceIdentity(serviceName));

        // HTTP/2 only on plaintext endpoints, so gRPC works without TLS inside the cluster and
        // Kubernetes' native gRPC probes can reach the health service.
        builder.WebHost.ConfigureKestrel(k => k.ConfigureEndpointDefaults(l => l.Protocols = HttpProtocols.Http2));
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(
            builder.Configuration.GetValue("Lcr:ShutdownTimeoutSeconds", 20)));

        builder.AddStructuredLogging();
        builder.AddTelemetry(serviceName);

        builder.Services.AddSingleton(sp => PatientPseudonymiser.FromBase64OrRandom(
            sp.GetRequiredService<IConfiguration>()["Lcr:PseudonymKey"]));

        builder.Services.AddSingleton(sp => new InternalCredentialsHolder(InternalCredentials.FromConfiguration(
            sp.GetRequiredService<IConfiguration>(), sp.GetRequiredService<IHostEnvironment>(), serviceName)));
        // One error mapping for handlers (the interceptor) and for the authorization middleware's
        // refusals, which it answers as gRPC statuses (GrpcAuthorizationResultHandler).
        builder.Services.AddSingleton<ErrorMappingInterceptor>();
        builder.Services.AddSingleton<IAuthorizationMiddlewareResultHandler, GrpcAuthorizationResultHandler>();
        if (!publicFacing)
        {
            // Internal services: the gateway's signed internal credential is the "internal"
            // authentication scheme; [InternalCaller] on each gRPC class requires it (the
            // authentication and authorization middleware run before the body is read).
            builder.Services.AddAuthentication(InternalCredentialAuthenticationHandler.SchemeName)
                .AddScheme<AuthenticationSchemeOptions, InternalCredentialAuthenticationHandler>(InternalCredentialAuthenticationHandler.SchemeName, null);
            builder.Services.AddAuthorization();
            builder.Services.AddOptions<AuthorizationOptions>().Configure<InternalCredentialsHolder>((o, holder) =>
                o.AddPolicy(InternalCallerAttribute.PolicyName, p => p
                    .AddAuthenticationSchemes(InternalCredentialAuthenticationHandler.SchemeName)
                    .AddRequirements(new InternalCallerRequirement(holder))));
        }

        builder.Services.AddGrpc(o =>
        {
            o.Interceptors.Add<ErrorMappingInterceptor>();
            o.EnableDetailedErrors = false;
            o.MaxReceiveMessageSize = builder.Configuration.GetValue("Lcr:MaxReceiveMessageBytes", 16 * 1024 * 1024);
        });
        // The request text is looked at only once the caller is known: the text guard is the
        // innermost interceptor, after the internal credential check here and after the
        // gateway's own caller checks (added by the gateway's Configure, which runs before this).
        builder.Services.PostConfigure<GrpcServiceOptions>(o => o.Interceptors.Add<RequestTextGuardInterceptor>());
        // A body that does not parse: INVALID_ARGUMENT (RequestParsing), not UNKNOWN.
        builder.Services.AddGuardedServiceBinding();
        builder.Services.AddGrpcReflection();
        builder.Services
            .AddGrpcHealthChecks(o =>
            {
                o.Services.Map(string.Empty, r => true);
                o.Services.Map(LivenessService, r => r.Tags.Contains(LiveTag));
                o.Services.Map(ReadinessService, r => r.Tags.Contains(ReadyTag) || r.Name == "self");
            })
            .AddCheck("self", () => HealthCheckResult.Healthy(), [LiveTag]);

        return builder;
    }

    private static void AddStructuredLogging(this WebApplicationBuilder builder)
    {
        builder.Logging.ClearProviders();
        builder.Logging.Configure(o => o.ActivityTrackingOptions =
            ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);
        // Authentication handlers log every request they do not authenticate (each health probe,
        // each sign-in) at Information; a refusal is logged once, by the error mapping, when a
        // protected call is refused.
        foreach (var handler in new[] { "Lcr.ServiceDefaults.InternalCredentialAuthenticationHandler",
                     "Lcr.Security.PlatformTokenAuthenticationHandler", "Lcr.Identity.Application.IdentityCallerAuthenticationHandler" })
        {
            builder.Logging.AddFilter(handler, LogLevel.Warning);
        }

        builder.Logging.AddConsole(o => o.FormatterName = RedactingJsonConsoleFormatter.FormatterName)
            .AddConsoleFormatter<RedactingJsonConsoleFormatter, Microsoft.Extensions.Logging.Console.ConsoleFormatterOptions>();
    }

    private static void AddTelemetry(this WebApplicationBuilder builder, string serviceName)
    {
        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => ConfigureResource(r, serviceName))
            .WithTracing(t => t
                .AddSource(TelemetryPrefix + "*")
                .AddAspNetCoreInstrumentation(o =>
                {
                    o.RecordException = false; // exception messages may carry identifiers; the interceptor logs scrubbed ones
                    o.Filter = ctx => !ctx.Request.Path.StartsWithSegments("/grpc.health.v1.Health", StringComparison.Ordinal);
                })
                // One client span per gRPC call: the HttpClient span under it (same call, same
                // peer) is suppressed; the trace context still reaches the callee.
                .AddGrpcClientInstrumentation(o => o.SuppressDownstreamInstrumentation = true)
                .AddHttpClientInstrumentation()
                .AddNpgsql()
                .AddProcessor(new PiiScrubbingActivityProcessor()))
            .WithMetrics(m => m
                .AddMeter(TelemetryPrefix + "*")
                .AddMeter("Npgsql")
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation());

        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            otel.UseOtlpExporter();
        }
    }

    /// <summary>
    /// The telemetry resource: our name (<c>lcr-{serviceName}</c>, namespace <c>lcr</c>) as the default only.
    /// <c>OTEL_SERVICE_NAME</c> and <c>OTEL_RESOURCE_ATTRIBUTES</c> (environment or configuration) win, as the OpenTelemetry
    /// specification says: the default builder reads them first, and a later <c>AddService</c> would overwrite them, so the
    /// environment detector is added again after ours (later resources win when the builder merges them).
    /// </summary>
    internal static ResourceBuilder ConfigureResource(ResourceBuilder resource, string serviceName) =>
        resource.AddService("lcr-" + serviceName, serviceNamespace: "lcr").AddEnvironmentVariableDetector();

    /// <summary>
    /// Registers the service's DbContext on an Npgsql data source built from
    /// <c>ConnectionStrings:{connectionName}</c>, with a readiness health check.
    /// </summary>
    public static WebApplicationBuilder AddPostgres<TContext>(this WebApplicationBuilder builder, string connectionName)
        where TContext : DbContext
    {
        builder.Services.AddSingleton(sp =>
        {
            var cs = sp.GetRequiredService<IConfiguration>().GetConnectionString(connectionName);
            if (string.IsNullOrWhiteSpace(cs))
            {
                throw new InvalidOperationException(
                    $"ConnectionStrings:{connectionName} is not configured. Run 'make run', or set ConnectionStrings__{connectionName}.");
            }

            var dsb = new NpgsqlDataSourceBuilder(cs);
            dsb.ConnectionStringBuilder.IncludeErrorDetail = false; // error details can echo key values
            dsb.ConnectionStringBuilder.ApplicationName ??= "lcr-" + sp.GetRequiredService<ServiceIdentity>().Name;
            // Prepare the statements a service repeats (every read's primary-key lookups) after
            // their second use, so PostgreSQL plans them once per connection instead of on every
            // call; a connection string that sets its own value keeps it.
            if (dsb.ConnectionStringBuilder.MaxAutoPrepare == 0)
            {
                dsb.ConnectionStringBuilder.MaxAutoPrepare = 64;
                dsb.ConnectionStringBuilder.AutoPrepareMinUsages = 2;
            }

            dsb.EnableDynamicJson();
            return new DataSourceHolder<TContext>(dsb.Build());
        });

        // Pooled contexts: a request leases a reset DbContext instead of building one (and its
        // scoped EF services) from the container on every call.
        builder.Services.AddDbContextPool<TContext>((sp, o) => o
            .UseNpgsql(sp.GetRequiredService<DataSourceHolder<TContext>>().DataSource)
            .UseSnakeCaseNamingConvention());
        builder.Services.AddHealthChecks().AddDbContextCheck<TContext>("postgres", tags: [ReadyTag]);
        builder.AddWarmUpStep<PostgresWarmUp<TContext>>();
        builder.Services.AddSingleton<IDatabaseMigrator, DatabaseMigrator<TContext>>();
        return builder;
    }

    /// <summary>
    /// Registers the shared Redis connection (<c>ConnectionStrings:Redis</c>) with a readiness
    /// check and tracing. The connection is made lazily and retried in the background, so a
    /// service starts (and serves reads from PostgreSQL) while Redis is down. With
    /// <paramref name="traceCommands"/> false no span is made per Redis command (StackExchange.Redis's
    /// profiling-based instrumentation cost the gateway 9% of its CPU on the warm read path, where its
    /// one command, the version probe, has a span of its own).
    /// </summary>
    public static WebApplicationBuilder AddRedis(this WebApplicationBuilder builder, bool traceCommands = true)
    {
        builder.Services.AddSingleton<IConnectionMultiplexer>(sp =>
        {
            var cs = sp.GetRequiredService<IConfiguration>().GetConnectionString("Redis")
                ?? throw new InvalidOperationException("ConnectionStrings:Redis is not configured.");
            var options = ConfigurationOptions.Parse(cs);
            options.AbortOnConnectFail = false;
            options.ConnectTimeout = 2000;
            options.SyncTimeout = 1000;
            options.AsyncTimeout = 1000;
            options.ClientName = "lcr-" + sp.GetRequiredService<ServiceIdentity>().Name;
            return ConnectionMultiplexer.Connect(options);
        });
        if (traceCommands)
        {
            builder.Services.ConfigureOpenTelemetryTracerProvider(t => t.AddRedisInstrumentation());
        }

        builder.Services.AddHealthChecks().AddCheck<RedisHealthCheck>("redis", tags: [ReadyTag]);
        return builder;
    }

    /// <summary>
    /// Registers the patient version store (<see cref="PatientVersionStore"/>, settings
    /// <c>Lcr:PatientVersions:*</c>) on the Redis connection of <see cref="AddRedis"/> when
    /// <c>ConnectionStrings:Redis</c> is set (Redis is then registered if it was not); off without it.
    /// Every service that writes consent, clinical or demographic data, and the gateway that
    /// reuses it, must share one Redis and one <c>Lcr:PseudonymKey</c> for the store. A writer
    /// (<paramref name="writer"/>) announces its key's fingerprint (<see cref="PatientVersionStore.AnnounceAsync"/>).
    /// </summary>
    public static WebApplicationBuilder AddPatientVersions(this WebApplicationBuilder builder, bool writer = true)
    {
        var hasRedis = !string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString("Redis"));
        if (hasRedis && !builder.Services.Any(d => d.ServiceType == typeof(IConnectionMultiplexer)))
        {
            builder.AddRedis();
        }

        var options = builder.Configuration.GetSection("Lcr:PatientVersions").Get<PatientVersionOptions>() ?? new PatientVersionOptions();
        if (options.PendingFor < TimeSpan.FromSeconds(1) || options.PendingFor > TimeSpan.FromMinutes(10) ||
            options.ProbeTimeout <= TimeSpan.Zero || options.ProbeTimeout > TimeSpan.FromSeconds(5) ||
            options.PauseAfterFailure < TimeSpan.Zero || options.RecordTtl < TimeSpan.FromMinutes(1))
        {
            throw new InvalidOperationException(
                "Lcr:PatientVersions: PendingFor must be 1 s-10 min, ProbeTimeout above 0 and at most 5 s, PauseAfterFailure not negative, RecordTtl at least 1 min.");
        }

        builder.Services.AddSingleton(sp => new PatientVersionStore(hasRedis ? sp.GetRequiredService<IConnectionMultiplexer>() : null,
            sp.GetRequiredService<PatientPseudonymiser>(), options, sp.GetRequiredService<ILogger<PatientVersionStore>>()));
        if (writer && hasRedis)
        {
            builder.Services.AddHostedService<PatientVersionAnnouncer>();
        }

        return builder;
    }

    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapGrpcHealthChecksService();
        app.MapGrpcReflectionService();
        return app;
    }
}

/// <summary>The logical name of the running service (e.g. "demographics").</summary>
public sealed record ServiceIdentity(string Name);

internal sealed record DataSourceHolder<TContext>(NpgsqlDataSource DataSource);

internal sealed class RedisHealthCheck(IConnectionMultiplexer redis) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await redis.GetDatabase().PingAsync().WaitAsync(TimeSpan.FromSeconds(2), cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            return HealthCheckResult.Degraded("Redis unreachable; reads fall back to PostgreSQL.");
        }
    }
}
