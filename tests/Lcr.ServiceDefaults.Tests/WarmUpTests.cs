using Lcr.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Xunit;

namespace Lcr.ServiceDefaults.Tests;

/// <summary>The start-up warm-up's rules: not ready while it runs, never kept from readiness by a failing step or its budget.</summary>
public sealed class WarmUpTests
{
    private sealed class CountingStep(string name, Func<int, CancellationToken, Task>? body = null) : IWarmUpStep
    {
        public int Runs;

        public string Name => name;

        public Task RunAsync(IServiceProvider services, CancellationToken cancellationToken)
        {
            Assert.NotNull(services.GetService<IServiceScopeFactory>());
            return body?.Invoke(Interlocked.Increment(ref Runs), cancellationToken) ?? Task.FromResult(Interlocked.Increment(ref Runs));
        }
    }

    private sealed class Lines : ILoggerProvider, ILogger
    {
        public List<string> Written { get; } = [];

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Written)
            {
                Written.Add(logLevel + " " + formatter(state, exception));
            }
        }

        public void Dispose()
        {
        }
    }

    private static (WarmUp WarmUp, Lines Log) Create(WarmUpOptions options, params IWarmUpStep[] steps)
    {
        var log = new Lines();
        var services = new ServiceCollection().BuildServiceProvider();
        return (new WarmUp(steps, services.GetRequiredService<IServiceScopeFactory>(), Options.Create(options),
            new LoggerFactory([log]).CreateLogger<WarmUp>()), log);
    }

    private static async Task<HealthStatus> StatusAsync(WarmUp warmUp) =>
        (await warmUp.CheckHealthAsync(new HealthCheckContext())).Status;

    [Fact]
    public async Task Not_ready_until_every_step_has_run_every_round()
    {
        var gate = new TaskCompletionSource();
        var slow = new CountingStep("slow", async (run, ct) =>
        {
            if (run == 2)
            {
                await gate.Task.WaitAsync(ct);
            }
        });
        var quick = new CountingStep("quick");
        var (warmUp, log) = Create(new WarmUpOptions { Rounds = 5, MaxDuration = TimeSpan.FromMinutes(1) }, slow, quick);

        await warmUp.StartAsync(CancellationToken.None);
        while (Volatile.Read(ref slow.Runs) < 2)
        {
            await Task.Delay(10);
        }

        Assert.Equal(HealthStatus.Unhealthy, await StatusAsync(warmUp));
        gate.SetResult();
        await warmUp.Completion.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(HealthStatus.Healthy, await StatusAsync(warmUp));
        Assert.Equal(5, slow.Runs);
        Assert.Equal(5, quick.Runs);
        Assert.Contains(log.Written, l => l.StartsWith("Information Warm-up done: 5 round(s) of 2 step(s)", StringComparison.Ordinal));
        await warmUp.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task A_failing_step_is_dropped_and_logged_by_its_exception_type_only_and_the_others_go_on()
    {
        var failing = new CountingStep("failing", (_, _) => throw new InvalidOperationException("patient 9434765919 secret text"));
        var quick = new CountingStep("quick");
        var (warmUp, log) = Create(new WarmUpOptions { Rounds = 4 }, failing, quick);

        await warmUp.StartAsync(CancellationToken.None);
        await warmUp.Completion.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(HealthStatus.Healthy, await StatusAsync(warmUp));
        Assert.Equal(1, failing.Runs);
        Assert.Equal(4, quick.Runs);
        var warning = Assert.Single(log.Written, l => l.StartsWith("Warning", StringComparison.Ordinal));
        Assert.Contains("failing", warning, StringComparison.Ordinal);
        Assert.Contains(nameof(InvalidOperationException), warning, StringComparison.Ordinal);
        Assert.DoesNotContain("9434765919", string.Join("\n", log.Written), StringComparison.Ordinal);
        Assert.DoesNotContain("secret", string.Join("\n", log.Written), StringComparison.Ordinal);
        await warmUp.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task A_step_that_never_ends_costs_at_most_the_budget_then_the_process_is_ready()
    {
        var stuck = new CountingStep("stuck", (_, ct) => Task.Delay(Timeout.Infinite, ct));
        var (warmUp, _) = Create(new WarmUpOptions { Rounds = 10, MaxDuration = TimeSpan.FromMilliseconds(300) }, stuck);

        await warmUp.StartAsync(CancellationToken.None);
        await warmUp.Completion.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(HealthStatus.Healthy, await StatusAsync(warmUp));
        Assert.Equal(1, stuck.Runs);
        await warmUp.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task No_rounds_means_ready_at_once_without_running_anything()
    {
        var step = new CountingStep("never");
        var (warmUp, _) = Create(new WarmUpOptions { Rounds = 0 }, step);

        await warmUp.StartAsync(CancellationToken.None);
        await warmUp.Completion.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(HealthStatus.Healthy, await StatusAsync(warmUp));
        Assert.Equal(0, step.Runs);
        await warmUp.StopAsync(CancellationToken.None);
    }
}
