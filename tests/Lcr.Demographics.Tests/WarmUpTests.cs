using Grpc.Health.V1;
using Lcr.ServiceDefaults;
using Lcr.Testing;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Lcr.Demographics.Tests;

/// <summary>The start-up warm-up (docs/operations.md, "Start-up warm-up") resolves a number and writes nothing.</summary>
public sealed class WarmUpTests(DemographicsHost host) : IClassFixture<DemographicsHost>
{
    [Fact]
    public async Task The_resolution_path_runs_before_readiness_and_nothing_is_written()
    {
        await WarmUpChecks.AssertRanCleanlyAsync(host, rounds: 3);
        Assert.Equal(0L, await host.Database.ScalarAsync("select count(*) from patients"));
        Assert.Equal(0L, await host.Database.ScalarAsync("select count(*) from supersessions"));
    }
}

/// <summary>A demographics host whose warm-up has one more step, held until the test releases it.</summary>
public sealed class GatedWarmUpHost : ServiceHost<Lcr.Demographics.Api.DemographicsGrpcService>
{
    public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    protected override string ConnectionName => "Demographics";

    protected override IEnumerable<KeyValuePair<string, string?>> Settings() =>
        [new("Lcr:WarmUp:Rounds", "1"), new("Lcr:WarmUp:MaxDuration", "00:02:00")];

    protected override void ConfigureServices(IServiceCollection services) =>
        services.AddSingleton<IWarmUpStep>(new HeldStep(Gate.Task));

    private sealed class HeldStep(Task gate) : IWarmUpStep
    {
        public string Name => "test.held";

        public Task RunAsync(IServiceProvider services, CancellationToken cancellationToken) => gate.WaitAsync(cancellationToken);
    }
}

/// <summary>The warm-up is wired into the process's readiness: not ready while it runs, alive throughout.</summary>
public sealed class WarmUpReadinessTests(GatedWarmUpHost host) : IClassFixture<GatedWarmUpHost>
{
    [Fact]
    public async Task Readiness_is_not_serving_until_the_warm_up_is_done_and_liveness_serves_throughout()
    {
        var health = new Health.HealthClient(host.Channel);
        async Task<HealthCheckResponse.Types.ServingStatus> StatusAsync(string service) =>
            (await health.CheckAsync(new HealthCheckRequest { Service = service })).Status;

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, await StatusAsync(ServiceDefaultsExtensions.ReadinessService));
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await StatusAsync(ServiceDefaultsExtensions.LivenessService));

        host.Gate.SetResult();
        await host.Services.GetRequiredService<WarmUp>().Completion.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await StatusAsync(ServiceDefaultsExtensions.ReadinessService));
    }
}
