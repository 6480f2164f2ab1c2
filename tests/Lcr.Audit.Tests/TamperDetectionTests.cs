using Lcr.Audit.V1;
using Npgsql;

namespace Lcr.Audit.Tests;

/// <summary>Rows changed or removed behind the service's back are found by VerifyChain.</summary>
public class TamperDetectionTests(AuditHost host) : IClassFixture<AuditHost>
{
    private AuditService.AuditServiceClient Client => host.Client;

    [Fact]
    public async Task Row_altered_in_postgres_is_found_by_verify_chain_at_that_row()
    {
        var nhs = AuditHost.NewNhsNumber();
        var first = Assert.Single((await host.RecordAsync(AuditHost.View(nhs))).Events);
        var target = Assert.Single((await host.RecordAsync(AuditHost.View(nhs))).Events);
        await host.RecordAsync(AuditHost.View(nhs));

        // A superuser with the triggers switched off for the session rewrites who looked.
        await ExecuteAsSuperuserAsync(
            "set session_replication_role = replica; update audit_events set actor_id = 'someone-else' where event_id = @id",
            ("id", Guid.Parse(target.EventId)));

        var verified = await Client.VerifyChainAsync(new VerifyChainRequest
        {
            ChainPartitions = { target.ChainPartition },
            StartSequence = first.ChainSequence,
        });
        Assert.False(verified.Intact);
        Assert.Equal(ChainBreakKind.HashMismatch, verified.FirstBreak.Kind);
        Assert.Equal(target.ChainPartition, verified.FirstBreak.ChainPartition);
        Assert.Equal(target.ChainSequence, verified.FirstBreak.ChainSequence);
        Assert.Equal(target.EventId, verified.FirstBreak.EventId);
        Assert.Equal(target.ChainHash, verified.FirstBreak.StoredHash);
        Assert.NotEqual(verified.FirstBreak.StoredHash, verified.FirstBreak.ComputedHash);

        // Verifying only the range after the altered row finds nothing wrong there.
        var later = await Client.VerifyChainAsync(new VerifyChainRequest
        {
            ChainPartitions = { target.ChainPartition },
            StartSequence = target.ChainSequence + 1,
        });
        Assert.True(later.Intact);
    }

    [Fact]
    public async Task Row_deleted_in_postgres_is_a_sequence_gap()
    {
        var nhs = AuditHost.NewNhsNumber();
        var first = Assert.Single((await host.RecordAsync(AuditHost.View(nhs))).Events);
        var target = Assert.Single((await host.RecordAsync(AuditHost.View(nhs))).Events);
        await host.RecordAsync(AuditHost.View(nhs));
        await ExecuteAsSuperuserAsync(
            "set session_replication_role = replica; delete from audit_events where event_id = @id", ("id", Guid.Parse(target.EventId)));

        var verified = await Client.VerifyChainAsync(new VerifyChainRequest
        {
            ChainPartitions = { target.ChainPartition },
            StartSequence = first.ChainSequence,
        });
        Assert.False(verified.Intact);
        Assert.Equal(ChainBreakKind.SequenceGap, verified.FirstBreak.Kind);
        Assert.Equal(target.ChainSequence, verified.FirstBreak.ChainSequence);
    }

    private async Task ExecuteAsSuperuserAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var conn = new NpgsqlConnection(host.Database.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        foreach (var (n, v) in parameters)
        {
            cmd.Parameters.AddWithValue(n, v);
        }

        await cmd.ExecuteNonQueryAsync();
    }
}
