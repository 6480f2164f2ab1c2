using Lcr.Clinical.Api;
using Lcr.Clinical.Application;
using Lcr.Clinical.Caching;
using Lcr.Clinical.Persistence;
using Lcr.Clinical.Seed;
using Lcr.ServiceDefaults;

namespace Lcr.Clinical;

public static class Extensions
{
    public static WebApplicationBuilder AddClinicalServices(this WebApplicationBuilder builder)
    {
        builder.AddPostgres<ClinicalDbContext>("Clinical");
        builder.AddRedis(traceCommands: false); // no span per Redis command: its instrumentation cost 8% of CPU on contributions (docs/performance.md); the version store traces its own operations
        builder.AddPatientVersions();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddMetrics();
        builder.Services.AddSingleton<ClinicalMetrics>();
        builder.Services.Configure<SummaryCacheOptions>(builder.Configuration.GetSection("Clinical:SummaryCache"));
        builder.Services.AddSingleton<SummaryCache>();
        builder.Services.AddSingleton<SummaryFlights>();
        builder.Services.AddSingleton<SummaryMemory>();
        builder.Services.AddScoped<SummaryBuilder>();
        builder.Services.AddScoped<SummaryService>();
        builder.Services.AddScoped<ContributionService>();
        builder.Services.AddScoped<RecordReader>();
        builder.AddWarmUpStep<ClinicalWarmUp>(); // its read path before readiness (docs/operations.md, "Start-up warm-up")
        builder.Services.AddSingleton<IDevelopmentSeeder, ClinicalSeeder>();
        return builder;
    }

    public static WebApplication MapClinicalEndpoints(this WebApplication app)
    {
        app.MapGrpcService<ClinicalGrpcService>();
        return app;
    }
}
