using Lcr.Demographics.Api;
using Lcr.Demographics.Application;
using Lcr.Demographics.Persistence;
using Lcr.Demographics.Seed;
using Lcr.ServiceDefaults;

namespace Lcr.Demographics;

public static class Extensions
{
    public static WebApplicationBuilder AddDemographicsServices(this WebApplicationBuilder builder)
    {
        builder.AddPostgres<DemographicsDbContext>("Demographics");
        builder.AddPatientVersions();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddScoped<PatientService>();
        builder.Services.AddScoped<SupersessionService>();
        builder.Services.AddScoped<NhsNumberResolver>();
        builder.AddWarmUpStep<DemographicsWarmUp>(); // its read path before readiness (docs/operations.md, "Start-up warm-up")
        builder.Services.AddSingleton<IDevelopmentSeeder, DemographicsSeeder>();
        return builder;
    }

    public static WebApplication MapDemographicsEndpoints(this WebApplication app)
    {
        app.MapGrpcService<DemographicsGrpcService>();
        return app;
    }
}
