using Lcr.Testing;
using Xunit;

namespace Lcr.Audit.Tests;

/// <summary>Audit's start-up warm-up (its EF Core model and connection pool) records no event.</summary>
public sealed class WarmUpTests(AuditHost host) : IClassFixture<AuditHost>
{
    [Fact]
    public async Task The_model_and_connections_are_ready_before_readiness_and_no_event_is_recorded()
    {
        await WarmUpChecks.AssertRanCleanlyAsync(host, rounds: 3);
        Assert.Equal(0L, await host.Database.ScalarAsync("select count(*) from audit_events"));
    }
}
