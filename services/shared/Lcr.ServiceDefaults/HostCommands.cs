using Microsoft.AspNetCore.Builder;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Lcr.ServiceDefaults;

/// <summary>Applies a service's EF Core migrations to its database.</summary>
public interface IDatabaseMigrator
{
    Task MigrateAsync(CancellationToken cancellationToken);
}

/// <summary>Loads a service's synthetic development data. Idempotent.</summary>
public interface IDevelopmentSeeder
{
    Task SeedAsync(CancellationToken cancellationToken);
}

internal sealed class DatabaseMigrator<TContext>(IServiceScopeFactory scopes) : IDatabaseMigrator
    where TContext : DbContext
{
    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TContext>();
        await db.Database.MigrateAsync(cancellationToken);
    }
}

/// <summary>
/// One binary, three verbs, so the same image serves as the service, its migration job and
/// its dev seeder: <c>migrate</c> applies migrations and exits; <c>seed</c> migrates, seeds
/// synthetic data and exits; anything else runs the service (migrating first when
/// <c>Lcr:MigrateOnStartup</c> is true).
/// </summary>
public static partial class HostCommands
{
    public static async Task<int> RunServiceAsync(this WebApplication app, string[] args)
    {
        var verb = args.FirstOrDefault(a => !a.StartsWith('-') && !a.Contains('='));
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Lcr.Host");
        var cancel = app.Lifetime.ApplicationStopping;
        switch (verb)
        {
            case "migrate":
                await MigrateAllAsync(app, cancel);
                LogDone(logger, "migrate");
                return 0;
            case "seed":
                await MigrateAllAsync(app, cancel);
                foreach (var seeder in app.Services.GetServices<IDevelopmentSeeder>())
                {
                    await seeder.SeedAsync(cancel);
                }

                LogDone(logger, "seed");
                return 0;
            default:
                if (app.Configuration.GetValue("Lcr:MigrateOnStartup", false))
                {
                    await MigrateAllAsync(app, cancel);
                }

                await app.RunAsync();
                return 0;
        }
    }

    private static async Task MigrateAllAsync(WebApplication app, CancellationToken cancel)
    {
        foreach (var migrator in app.Services.GetServices<IDatabaseMigrator>())
        {
            await migrator.MigrateAsync(cancel);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Command {Verb} completed")]
    private static partial void LogDone(ILogger logger, string verb);
}
