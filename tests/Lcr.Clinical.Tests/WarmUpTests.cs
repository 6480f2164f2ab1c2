using Lcr.Testing;
using Xunit;

namespace Lcr.Clinical.Tests;

/// <summary>The start-up warm-up (docs/operations.md, "Start-up warm-up") runs the read path and writes nothing.</summary>
public sealed class WarmUpTests(ClinicalHost host) : IClassFixture<ClinicalHost>
{
    [Fact]
    public async Task The_read_path_runs_before_readiness_and_nothing_is_written()
    {
        await WarmUpChecks.AssertRanCleanlyAsync(host, rounds: 3);
        Assert.Equal(0L, await host.Database.ScalarAsync("select count(*) from patient_records"));
        Assert.Equal(0L, await host.Database.ScalarAsync("select count(*) from entries"));
    }
}
