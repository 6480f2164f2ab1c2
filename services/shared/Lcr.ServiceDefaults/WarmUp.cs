using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Lcr.ServiceDefaults;

/// <summary>
/// One read-only path of a service exercised before the process reports <c>readiness</c>, so that
/// the first real calls do not pay for what only the first call pays: EF Core's model and query
/// compilation, the first connections (PostgreSQL, Redis, the gateway's HTTP/2 channels), and the
/// JIT's first and tier-1 compilations of the path. A step must write nothing and read no real
/// patient (use <see cref="WarmUp.UnissuedNhsNumber"/>); a step that throws is logged (its exception
/// type only) and not run again: a warm-up never keeps a process from becoming ready.
/// </summary>
public interface IWarmUpStep
{
    /// <summary>Names the step in the log line that reports a failed step (no patient data).</summary>
    string Name { get; }

    /// <summary>Runs the path once, in a fresh DI scope (<paramref name="services"/>).</summary>
    Task RunAsync(IServiceProvider services, CancellationToken cancellationToken);
}

/// <summary>Settings of the start-up warm-up (<c>Lcr:WarmUp:*</c>).</summary>
public sealed class WarmUpOptions
{
    /// <summary>How many times each step runs (0: no warm-up, ready at once). Enough for the JIT's tier-1 (30 calls).</summary>
    public int Rounds { get; set; } = 40;

    /// <summary>The warm-up's whole budget: when it is spent the process is ready, warm or not.</summary>
    public TimeSpan MaxDuration { get; set; } = TimeSpan.FromSeconds(20);
}

/// <summary>
/// Runs the registered <see cref="IWarmUpStep"/>s in the background at start and is the
/// <c>warm-up</c> readiness check: NOT_SERVING (Unhealthy) until every step has run
/// <see cref="WarmUpOptions.Rounds"/> times or <see cref="WarmUpOptions.MaxDuration"/> has passed.
/// Liveness is not affected: a warming process is alive, only not yet given traffic.
/// </summary>
public sealed class WarmUp(IEnumerable<IWarmUpStep> steps, IServiceScopeFactory scopes, IOptions<WarmUpOptions> options,
    ILogger<WarmUp> logger) : BackgroundService, IHealthCheck
{
    /// <summary>
    /// The NHS number warm-up steps ask about: it passes the modulus 11 check, but no NHS number
    /// is issued in the 000 range, so a warm-up never reads, caches or logs a real patient.
    /// </summary>
    public const string UnissuedNhsNumber = "0000000000";

    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the warm-up has finished (or given up); the process is ready from then on.</summary>
    public Task Completion => _done.Task;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(_done.Task.IsCompleted
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy("Warming up (Lcr:WarmUp): not ready for traffic yet."));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await Task.Yield();
            var started = Stopwatch.GetTimestamp();
            var budget = options.Value.MaxDuration;
            var live = steps.ToList();
            var rounds = 0;
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            deadline.CancelAfter(budget);
            while (rounds < options.Value.Rounds && live.Count > 0 && !deadline.IsCancellationRequested)
            {
                foreach (var step in live.ToList())
                {
                    try
                    {
                        await using var scope = scopes.CreateAsyncScope();
                        await step.RunAsync(scope.ServiceProvider, deadline.Token);
                    }
                    catch (OperationCanceledException) when (deadline.IsCancellationRequested)
                    {
                        break;
                    }
                    catch (Exception e)
                    {
                        // A dependency down at start (readiness says so on its own), or a step gone stale.
                        live.Remove(step);
                        logger.LogWarning("Warm-up step {Step} failed ({Exception}); it is not run again.", step.Name, e.GetType().Name);
                    }
                }

                rounds++;
            }

            logger.LogInformation("Warm-up done: {Rounds} round(s) of {Steps} step(s) in {ElapsedMs} ms.",
                rounds, live.Count, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        finally
        {
            _done.TrySetResult();
        }
    }
}

/// <summary>Registration of warm-up steps.</summary>
public static class WarmUpExtensions
{
    /// <summary>
    /// Adds <typeparamref name="TStep"/> to the start-up warm-up (and, with the first step, the
    /// warm-up itself and its <c>warm-up</c> readiness check; settings <c>Lcr:WarmUp:*</c>, validated).
    /// </summary>
    public static WebApplicationBuilder AddWarmUpStep<TStep>(this WebApplicationBuilder builder)
        where TStep : class, IWarmUpStep
    {
        builder.Services.AddSingleton<IWarmUpStep, TStep>();
        if (builder.Services.Any(d => d.ServiceType == typeof(WarmUp)))
        {
            return builder;
        }

        builder.Services.AddOptions<WarmUpOptions>()
            .Bind(builder.Configuration.GetSection("Lcr:WarmUp"))
            .Validate(o => o.Rounds is >= 0 and <= 1000 && o.MaxDuration >= TimeSpan.Zero && o.MaxDuration <= TimeSpan.FromMinutes(5),
                "Lcr:WarmUp: Rounds must be 0-1000 and MaxDuration 0-5 min.")
            .ValidateOnStart();
        builder.Services.AddSingleton<WarmUp>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<WarmUp>());
        builder.Services.AddHealthChecks().AddCheck<WarmUp>("warm-up", tags: [ServiceDefaultsExtensions.ReadyTag]);
        return builder;
    }
}
