using Lcr.Testing;
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
