using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Lcr.ServiceDefaults;

/// <summary>
/// Every PostgreSQL service's part of the start-up warm-up (<see cref="WarmUp"/>): EF Core builds
/// the context's model (the slowest part of a first call) and runs a statement, and the pool opens
/// a few connections at once, so the first burst of calls does not open them one after another.
/// Reads nothing. Registered by <see cref="ServiceDefaultsExtensions.AddPostgres{TContext}"/>; a
/// service with its own context registration adds it with <see cref="WarmUpExtensions.AddWarmUpStep{TStep}"/>.
/// </summary>
public sealed class PostgresWarmUp<TContext> : IWarmUpStep
    where TContext : DbContext
{
    private const int Connections = 4;
    private int _runs;

    public string Name => "postgres";

    public async Task RunAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var db = services.GetRequiredService<TContext>();
        _ = db.Model;
        await db.Database.ExecuteSqlRawAsync("SELECT 1", cancellationToken);
        if (Interlocked.Increment(ref _runs) == 1)
        {
            var scopes = services.GetRequiredService<IServiceScopeFactory>();
            await Task.WhenAll(Enumerable.Range(0, Connections).Select(async _ =>
            {
                await using var scope = scopes.CreateAsyncScope();
                var context = scope.ServiceProvider.GetRequiredService<TContext>();
                await context.Database.OpenConnectionAsync(cancellationToken);
                await context.Database.CloseConnectionAsync();
            }));
        }
    }
}
