using Lcr.Audit.Api;
using Lcr.Audit.Application;
using Lcr.Audit.Persistence;
using Lcr.Audit.Seed;
using Lcr.ServiceDefaults;
using Microsoft.EntityFrameworkCore;

namespace Lcr.Audit;

public static class Extensions
{
    public static WebApplicationBuilder AddAuditServices(this WebApplicationBuilder builder)
    {
        // Not AddPostgres: the runtime connections must start as the append-only writer role,
        // and migrations must run as the schema owner (AuditDataSources), so the data sources,
        // the readiness check and the migrator are registered here the same way AddPostgres does.
        builder.Services.AddSingleton<AuditDataSources>();
        builder.Services.AddDbContext<AuditDbContext>((sp, o) => o
            .UseNpgsql(sp.GetRequiredService<AuditDataSources>().Runtime)
            .UseSnakeCaseNamingConvention());
        builder.Services.AddHealthChecks().AddDbContextCheck<AuditDbContext>("postgres", tags: [ServiceDefaultsExtensions.ReadyTag]);
        builder.Services.AddSingleton<IDatabaseMigrator, AuditMigrator>();
        builder.AddWarmUpStep<PostgresWarmUp<AuditDbContext>>(); // model and pool before readiness (docs/operations.md, "Start-up warm-up")

        builder.Services.AddOptions<AuditOptions>()
            .Bind(builder.Configuration.GetSection("Audit"))
            .Validate(o => o.ChainPartitions is >= 1 and <= 4096, "Audit:ChainPartitions must be between 1 and 4096.")
            .Validate(o => o.MaxBatchEvents >= 1, "Audit:MaxBatchEvents must be at least 1.")
            .Validate(o => o.MaxConcurrentCommits is >= 1 and <= 32, "Audit:MaxConcurrentCommits must be between 1 and 32.")
            .Validate(o => TimeZoneInfo.TryFindSystemTimeZoneById(o.LocalTimeZone, out _), "Audit:LocalTimeZone is not a known time zone.")
            .ValidateOnStart();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<AuditWriter>();
        builder.Services.AddScoped<AuditLog>();
        builder.Services.AddScoped<PrivacyReview>();
        builder.Services.AddSingleton<IDevelopmentSeeder, AuditSeeder>();
        return builder;
    }

    public static WebApplication MapAuditEndpoints(this WebApplication app)
    {
        app.MapGrpcService<AuditGrpcService>();
        return app;
    }
}
