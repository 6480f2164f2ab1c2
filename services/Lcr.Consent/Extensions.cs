using Lcr.Consent.Api;
using Lcr.Consent.Application;
using Lcr.Consent.Persistence;
using Lcr.Consent.Seed;
using Lcr.ServiceDefaults;

namespace Lcr.Consent;

public static class Extensions
{
    public static WebApplicationBuilder AddConsentServices(this WebApplicationBuilder builder)
    {
        builder.AddPostgres<ConsentDbContext>("Consent");
        builder.AddRedis(traceCommands: false); // no span per Redis command: its instrumentation cost 8% of CPU on contributions (docs/performance.md); the version store traces its own operations
        builder.AddPatientVersions();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ConsentMetrics>();
        builder.Services.AddSingleton<ConsentSnapshotCache>();
        builder.Services.AddScoped<ConsentUseCases>();
        builder.AddWarmUpStep<ConsentWarmUp>(); // its read path before readiness (docs/operations.md, "Start-up warm-up")
        builder.Services.AddSingleton<IDevelopmentSeeder, ConsentSeeder>();
        return builder;
    }

    public static WebApplication MapConsentEndpoints(this WebApplication app)
    {
        app.MapGrpcService<ConsentGrpcService>();
        return app;
    }
}
