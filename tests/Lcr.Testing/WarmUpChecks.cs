using Grpc.Health.V1;
using Lcr.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Xunit;

namespace Lcr.Testing;

/// <summary>What every service's start-up warm-up must do, checked on a real host with it turned on.</summary>
public static class WarmUpChecks
{
    /// <summary>
    /// Runs the host's registered warm-up steps <paramref name="rounds"/> times (a warm-up of their
    /// own: test hosts start with none, and they migrate their database only after starting, which
    /// a deployment does before), then checks that every step ran every round without failing (a
    /// failed step is logged and dropped) and that the host reports <c>readiness</c> SERVING.
    /// </summary>
    public static async Task AssertRanCleanlyAsync<TEntryPoint>(ServiceHost<TEntryPoint> host, int rounds)
        where TEntryPoint : class
    {
        var warmUp = new WarmUp(host.Services.GetServices<IWarmUpStep>(), host.Services.GetRequiredService<IServiceScopeFactory>(),
            Options.Create(new WarmUpOptions { Rounds = rounds }), host.Services.GetRequiredService<ILogger<WarmUp>>());
        await warmUp.StartAsync(CancellationToken.None);
        await warmUp.Completion.WaitAsync(TimeSpan.FromSeconds(60));
        await warmUp.StopAsync(CancellationToken.None);
        var steps = host.Services.GetServices<IWarmUpStep>().Count();
        Assert.True(steps >= 1, "the service registers warm-up steps");
        var failed = host.Logs.Lines.Where(l => l.Contains("Warm-up step", StringComparison.Ordinal)).ToList();
        Assert.True(failed.Count == 0, "warm-up steps failed: " + string.Join("\n", failed));
        Assert.Contains(host.Logs.Lines, l => l.Contains($"Warm-up done: {rounds} round(s) of {steps} step(s)", StringComparison.Ordinal));
        var health = new Health.HealthClient(host.Channel);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving,
            (await health.CheckAsync(new HealthCheckRequest { Service = ServiceDefaultsExtensions.ReadinessService })).Status);
    }
}
