using Lcr.Gateway.Access;
using Lcr.Gateway.Api;
using Lcr.Gateway.Downstream;
using Lcr.Gateway.Fhir;
using Lcr.Gateway.Http;
using Lcr.Gateway.Patients;
using Lcr.Gateway.RateLimiting;
using Lcr.Gateway.ReadCache;
using Lcr.Gateway.Records;
using Lcr.Gateway.SubjectAccess;
using Lcr.Gateway.Telemetry;
using Lcr.Security;
using Lcr.ServiceDefaults;

namespace Lcr.Gateway;

public static class Extensions
{
    public static WebApplicationBuilder AddGatewayServices(this WebApplicationBuilder builder)
    {
        var config = builder.Configuration;
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddOptions<DownstreamOptions>().Configure(o =>
        {
            foreach (var name in ServiceNames.All)
            {
                if (config[$"Services:{name}"] is { } address)
                {
                    o.Services[name] = address;
                }
            }

            o.DefaultCallTimeout = config.GetValue("Gateway:DefaultCallTimeout", o.DefaultCallTimeout);
            o.DeadlineReserve = config.GetValue("Gateway:DeadlineReserve", o.DeadlineReserve);
            o.BreakerBreakDuration = config.GetValue("Gateway:BreakerBreakDuration", o.BreakerBreakDuration);
            o.BreakerMinimumThroughput = config.GetValue("Gateway:BreakerMinimumThroughput", o.BreakerMinimumThroughput);
        });
        builder.Services.AddOptions<RateLimitOptions>().Bind(config.GetSection("Gateway:RateLimit"));
        builder.Services.AddOptions<GovernanceOptions>().Configure(o =>
        {
            var roles = config.GetSection("Gateway:InformationGovernanceRoles").Get<string[]>();
            o.InformationGovernanceRoles.AddRange(roles is { Length: > 0 } ? roles : ["LCR-IG01"]);
            var orgs = config.GetSection("Gateway:PlatformGovernanceOrganisations").Get<string[]>()
                ?? config.GetSection("Gateway:SubjectAccess:PlatformGovernanceOrganisations").Get<string[]>();
            o.PlatformGovernanceOrganisations.AddRange(orgs is { Length: > 0 } ? orgs : [Lcr.ServiceDefaults.DevData.SyntheticOrganisations.PlatformOperator]);
        });
        builder.Services.AddDownstreamClients(); // typed clients + DownstreamInterceptor (Downstream/DownstreamClients.cs)
        builder.Services.AddSingleton<GatewayMetrics>();
        builder.Services.AddSingleton<ISigningKeySource, DownstreamSigningKeySource>();
        builder.Services.AddPlatformTokenVerification(config.GetSection("Tokens"));
        builder.Services.AddPlatformTokenAuthentication(TokenTypes.Access, TokenTypes.System, TokenTypes.Session);
        builder.Services.AddSingleton<CallerAuthenticator>();
        builder.Services.AddSingleton<PatientOrganisationLinks>();
        builder.Services.AddSingleton<GovernancePolicy>();
        builder.Services.AddSingleton<PrivacyOfficerPolicy>();
        builder.Services.AddOptions<ViewerContextOptions>().Bind(config.GetSection("Gateway:ViewerContext"));
        builder.Services.AddSingleton<ViewerContextSource>();
        builder.Services.AddAuditBatching(config); // shared RecordEvents calls (Records/AuditBatcher.cs)
        builder.Services.AddSingleton<AuditTrail>();

        // Every door resolves the NHS number first (Patients/): superseded numbers, merged sets, deceased patients.
        builder.Services.AddOptions<DeceasedOptions>().Bind(config.GetSection("Gateway:Deceased"))
            .Validate(o => o.IsValid, "Gateway:Deceased:CareContinuesFor must be between 0 and 3660 days.")
            .ValidateOnStart();
        builder.Services.AddSingleton<PatientResolver>();
        builder.Services.AddSingleton<RecordReader>();

        // The read cache (ReadCache/): internal answers about a patient kept in this replica under
        // the patient's version record, which every writer marks before it commits and publishes
        // after (Lcr.ServiceDefaults' PatientVersionStore); off without ConnectionStrings:Redis.
        builder.Services.AddOptions<ReadCacheOptions>().Bind(config.GetSection("Gateway:ReadCache"))
            .Validate(o => o.IsValid, "Gateway:ReadCache: MaxEntries must be 0-1,000,000 and MaxAge 0-1 hour.")
            .ValidateOnStart();
        builder.Services.AddSingleton<VersionedAnswers>();

        // The view-surge rule (Records/ViewSurge*.cs): counted off the response path in Redis,
        // shared by every replica; without ConnectionStrings:Redis the gateway starts with it off.
        builder.Services.AddOptions<ViewSurgeOptions>().Bind(config.GetSection("Gateway:ViewSurge"));
        builder.Services.AddSingleton<ViewSurgeMonitor>();
        builder.Services.AddHostedService<ViewSurgeService>();
        if (!string.IsNullOrWhiteSpace(config.GetConnectionString("Redis")))
        {
            builder.AddRedis(traceCommands: false); // the version probe has its own span (PatientVersionStore)
            builder.Services.AddSingleton<ViewSurgeCounter>();
        }

        builder.AddPatientVersions(writer: false);

        builder.Services.AddSingleton<AccessLogReader>();
        builder.Services.AddOptions<SubjectAccessOptions>();
        builder.Services.AddSingleton<SubjectAccessExporter>();
        builder.Services.AddSingleton<FhirAuthentication>(); // the FHIR API (/fhir): one authentication seam, RecordReader's core
        builder.Services.AddSingleton<FhirApi>();
        builder.Services.AddSingleton<CallerRateLimitMiddleware>();
        builder.Services.AddGatewayLoadShedding(config); // RateLimiting/LoadShedding.cs: GATEWAY_OVERLOADED before any work

        // HTTP/JSON (transcoding), OpenAPI, gRPC-Web and CORS: Http/HttpApiExtensions.cs.
        builder.AddGatewayHttpApi();
        return builder;
    }

    public static WebApplication MapGatewayEndpoints(this WebApplication app)
    {
        // HTTP/JSON, OpenAPI, gRPC-Web and CORS: Http/HttpApiExtensions.cs (CORS answers a
        // browser's preflight before anything asks for a credential).
        app.UseGatewayHttpApi();

        // Who is calling, before any gRPC handler, interceptor or body parsing: the bearer token
        // is verified once (authentication), the caller charged to its bucket (verified subject,
        // else its peer), then the method's policy admits it or the call is refused with a gRPC status.
        // Load shedding first (RateLimiting/LoadShedding.cs): a call over the replica's capacity is
        // refused before its token is verified, and health checks and reflection are never shed.
        app.UseRateLimiter();
        app.UseAuthentication();
        app.UseMiddleware<CallerRateLimitMiddleware>();
        app.UseAuthorization();
        app.MapGrpcService<GatewayGrpcService>();
        app.MapGrpcService<IdentityGateway>();
        app.MapGrpcService<ClinicalGateway>();
        app.MapGrpcService<DemographicsGateway>();
        app.MapGrpcService<ConsentGateway>();
        app.MapGrpcService<AuditGateway>();
        app.MapGrpcService<SubjectAccessGrpcService>();
        app.MapFhirApi();
        return app;
    }
}
