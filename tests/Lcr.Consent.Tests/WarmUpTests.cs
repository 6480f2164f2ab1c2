using Lcr.Testing;
using Xunit;

namespace Lcr.Consent.Tests;

/// <summary>The start-up warm-up (docs/operations.md, "Start-up warm-up") makes a decision and records nothing.</summary>
public sealed class WarmUpTests(ConsentHost host) : IClassFixture<ConsentHost>
{
    [Fact]
    public async Task The_decision_path_runs_before_readiness_and_nothing_is_written()
    {
        await WarmUpChecks.AssertRanCleanlyAsync(host, rounds: 3);
        Assert.Equal(0L, await host.EventCountAsync());
        Assert.Equal(0L, await host.CountAsync("select count(*) from consent_patients"));
    }
}
