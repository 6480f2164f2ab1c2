using Lcr.Audit.Application;
using Lcr.Audit.Persistence;
using Lcr.Audit.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Lcr.Audit.Tests;

/// <summary>Hash chains under concurrency, tampering, and the database's refusal to change a row.</summary>
public class ChainIntegrityTests(AuditHost host) : IClassFixture<AuditHost>
{
    private AuditService.AuditServiceClient Client => host.Client;

    [Fact]
    public async Task Thirty_two_concurrent_callers_keep_every_chain_gapless_and_valid()
    {
        var patients = Enumerable.Range(0, 40).Select(_ => AuditHost.NewNhsNumber()).ToArray();
        var before = (long)(await host.Database.ScalarAsync("select count(*) from audit_events"))!;
        var expected = 0;
        for (var c = 0; c < 32; c++)
        {
            for (var i = 0; i < 8; i++)
            {
                expected += 1 + ((c + i) % 3);
            }
        }

        var callers = Enumerable.Range(0, 32).Select(c => Task.Run(async () =>
        {
            for (var i = 0; i < 8; i++)
            {
                var events = Enumerable.Range(0, 1 + ((c + i) % 3))
                    .Select(k => AuditHost.View(patients[(c * 7 + i * 3 + k) % patients.Length], "prof-" + c)).ToArray();
                await host.RecordAsync(events);
            }
        }));
        await Task.WhenAll(callers);

        var after = (long)(await host.Database.ScalarAsync("select count(*) from audit_events"))!;
        Assert.Equal(expected, after - before);
        Assert.Equal(0L, await host.Database.ScalarAsync(
            "select count(*) from (select chain_partition, count(*) n, max(chain_sequence) m from audit_events group by 1) c where n <> m"));

        var verified = await Client.VerifyChainAsync(new VerifyChainRequest());
        Assert.True(verified.Intact, verified.FirstBreak?.ToString());
        Assert.Equal(after, verified.EventsVerified);
    }

    [Fact]
    public async Task Concurrent_commits_about_one_patient_and_calls_spanning_chains_all_commit_in_order()
    {
        // Four commits in flight at once: calls about the same patient (one chain) must still
        // be chained one commit after another, and a call about several patients stays whole.
        var sources = host.Services.GetRequiredService<AuditDataSources>();
        await using var writer = new AuditWriter(sources, TimeProvider.System, Options.Create(new AuditOptions { MaxConcurrentCommits = 4 }),
            NullLogger<AuditWriter>.Instance);
        var hot = AuditHost.NewNhsNumber();
        var others = Enumerable.Range(0, 6).Select(_ => AuditHost.NewNhsNumber()).ToArray();
        var calls = Enumerable.Range(0, 64).Select(i => Task.Run(() => writer.AppendAsync(EventMapping.ValidateRequest(new RecordEventsRequest
        {
            Events = { i % 2 == 0 ? [AuditHost.View(hot, "lanes")] : new[] { AuditHost.View(hot, "lanes"), AuditHost.View(others[i % 6], "lanes") } },
        }, DateTimeOffset.UtcNow), CancellationToken.None))).ToArray();
        var results = await Task.WhenAll(calls);

        Assert.All(results, r => Assert.Empty(r.DuplicateEventIds));
        Assert.Equal(96L, await host.Database.ScalarAsync("select count(*) from audit_events where actor_id = 'lanes'"));
        Assert.Equal(64L, await host.Database.ScalarAsync(
            "select count(distinct (chain_partition, chain_sequence)) from audit_events where nhs_number = @n", ("n", hot)));
        foreach (var r in results.Where(r => r.Events.Count == 2))
        {
            // The two events of one call were committed together.
            Assert.Equal(r.Events[0].RecordTime, r.Events[1].RecordTime);
        }

        var verified = await Client.VerifyChainAsync(new VerifyChainRequest());
        Assert.True(verified.Intact, verified.FirstBreak?.ToString());
    }

    [Fact]
    public async Task Two_writers_sharing_the_database_like_two_replicas_keep_chains_valid()
    {
        // A second writer with its own cached chain heads: each makes the other's heads stale.
        var sources = host.Services.GetRequiredService<AuditDataSources>();
        await using var other = new AuditWriter(sources, TimeProvider.System, Options.Create(new AuditOptions()), NullLogger<AuditWriter>.Instance);
        var nhs = Enumerable.Range(0, 4).Select(_ => AuditHost.NewNhsNumber()).ToArray();
        var viaOther = Enumerable.Range(0, 40).Select(i => Task.Run(() =>
            other.AppendAsync(EventMapping.ValidateRequest(new RecordEventsRequest { Events = { AuditHost.View(nhs[i % 4], "replica-b") } },
                DateTimeOffset.UtcNow), CancellationToken.None)));
        var viaService = Enumerable.Range(0, 40).Select(i => host.RecordAsync(AuditHost.View(nhs[i % 4], "replica-a")));
        await Task.WhenAll(viaOther.Cast<Task>().Concat(viaService));

        var verified = await Client.VerifyChainAsync(new VerifyChainRequest());
        Assert.True(verified.Intact, verified.FirstBreak?.ToString());
        Assert.Equal(80L, await host.Database.ScalarAsync("select count(*) from audit_events where actor_id like 'replica-%'"));
    }

    [Fact]
    public async Task The_services_database_role_cannot_update_delete_or_truncate_events()
    {
        var e = Assert.Single((await host.RecordAsync(AuditHost.View(AuditHost.NewNhsNumber()))).Events);
        var sources = host.Services.GetRequiredService<AuditDataSources>();
        await using var conn = await sources.Runtime.OpenConnectionAsync();
        await using (var who = new NpgsqlCommand("select current_user", conn))
        {
            Assert.Equal(AuditDataSources.WriterRole, await who.ExecuteScalarAsync());
        }

        foreach (var sql in new[]
                 {
                     "update audit_events set actor_id = 'x' where event_id = @id",
                     "delete from audit_events where event_id = @id",
                     "truncate audit_events",
                 })
        {
            await using var cmd = new NpgsqlCommand(sql, conn);
            cmd.Parameters.AddWithValue("id", Guid.Parse(e.EventId));
            var error = await Assert.ThrowsAsync<PostgresException>(() => cmd.ExecuteNonQueryAsync());
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, error.SqlState);
        }

        // Even the pool's session reset does not give the login back.
        await using (var reset = new NpgsqlCommand("reset all; select current_user", conn))
        {
            Assert.Equal(AuditDataSources.WriterRole, await reset.ExecuteScalarAsync());
        }
    }

    [Fact]
    public async Task Triggers_refuse_update_and_delete_even_for_the_owner()
    {
        var e = Assert.Single((await host.RecordAsync(AuditHost.View(AuditHost.NewNhsNumber()))).Events);
        foreach (var sql in new[] { "update audit_events set actor_id = 'x' where event_id = @id", "delete from audit_events where event_id = @id" })
        {
            var error = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsSuperuserAsync(sql, ("id", Guid.Parse(e.EventId))));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, error.SqlState);
            Assert.Contains("append-only", error.MessageText, StringComparison.Ordinal);
        }

        Assert.Equal(1L, await host.Database.ScalarAsync("select count(*) from audit_events where event_id = @id and actor_id = 'prof-1'",
            ("id", Guid.Parse(e.EventId))));
    }

    [Fact]
    public async Task Verify_chain_rejects_a_bad_range_by_field()
    {
        await RpcAssert.InvalidFields(async () => await Client.VerifyChainAsync(new VerifyChainRequest
        {
            ChainPartitions = { 9999 },
            StartSequence = 5,
            EndSequence = 2,
        }), "chain_partitions[0]", "end_sequence");
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
