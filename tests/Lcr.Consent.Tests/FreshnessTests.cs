using Google.Protobuf.WellKnownTypes;
using Lcr.Common.V1;
using Lcr.Consent.V1;
using Lcr.ServiceDefaults;
using Lcr.Testing;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace Lcr.Consent.Tests;

/// <summary>A consent change is effective for the very next evaluation after the change returns, on any replica.</summary>
public class FreshnessTests(ConsentHost host) : IClassFixture<ConsentHost>
{
    [Fact]
    public async Task Change_is_visible_on_the_next_evaluation_even_with_a_warm_cache()
    {
        using var counters = new CacheCounters(host.Services);
        var nhs = ConsentHost.NewNhsNumber();
        await host.Client.AddRestrictionAsync(Calls.Add(nhs, Calls.WithholdOrganisation("RGD")), ConsentHost.IgOfficer());

        // Warm: the write stored the snapshot, so both reads are cache hits.
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(["RGD"], (await host.Client.EvaluateAccessAsync(Calls.Evaluate(nhs))).WithheldOrganisationOdsCodes);
        }

        Assert.True(counters.Hits >= 2, $"hits {counters.Hits}");

        await host.Client.RecordOptOutAsync(Calls.OptOut(nhs), ConsentHost.IgOfficer());
        var afterOptOut = await host.Client.EvaluateAccessAsync(Calls.Evaluate(nhs));
        Assert.Equal(AccessDecisionReason.PatientOptedOut, afterOptOut.Reason);
        Assert.Equal(2, afterOptOut.ConsentVersion);

        await host.Client.WithdrawOptOutAsync(Calls.OptIn(nhs), ConsentHost.IgOfficer());
        Assert.Equal(AccessDecision.Permit, (await host.Client.EvaluateAccessAsync(Calls.Evaluate(nhs))).Decision);
    }

    [Fact]
    public async Task Cache_miss_is_rebuilt_from_postgres_and_then_served_from_redis()
    {
        await using var replica = new ConsentReplica(host.Database.ConnectionString, host.RedisConnectionString, localCache: false);
        using var counters = new CacheCounters(replica.Services);
        var nhs = ConsentHost.NewNhsNumber();
        await replica.Client.AddRestrictionAsync(Calls.Add(nhs, Calls.WithholdCategory(RecordCategory.TestResults)), ConsentHost.IgOfficer());
        await ForgetCachedSnapshotsAsync(nhs); // a cold cache (e.g. Redis restarted)

        var cold = await replica.Client.EvaluateAccessAsync(Calls.Evaluate(nhs));
        var warm = await replica.Client.EvaluateAccessAsync(Calls.Evaluate(nhs));
        Assert.Equal(cold, warm);
        Assert.Equal([RecordCategory.TestResults], warm.WithheldCategories);
        Assert.True(counters.Misses >= 1, $"misses {counters.Misses}");
        Assert.True(counters.Hits >= 1, $"hits {counters.Hits}");
        Assert.Equal(0, counters.MemoryHits);
    }

    [Fact]
    public async Task A_repeated_evaluation_is_served_from_the_replicas_memory_and_a_change_elsewhere_is_seen_at_once()
    {
        await using var reader = new ConsentReplica(host.Database.ConnectionString, host.RedisConnectionString);
        await using var writer = new ConsentReplica(host.Database.ConnectionString, host.RedisConnectionString);
        using var counters = new CacheCounters(reader.Services);
        var nhs = ConsentHost.NewNhsNumber();
        await writer.Client.AddRestrictionAsync(Calls.Add(nhs, Calls.WithholdOrganisation("RGD")), ConsentHost.IgOfficer());

        // First evaluation on the reader: from Redis (if the writer's store has landed) or PostgreSQL;
        // then from its own memory, even with Redis emptied of this patient.
        Assert.Equal(["RGD"], (await reader.Client.EvaluateAccessAsync(Calls.Evaluate(nhs))).WithheldOrganisationOdsCodes);
        await ForgetCachedSnapshotsAsync(nhs);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(["RGD"], (await reader.Client.EvaluateAccessAsync(Calls.Evaluate(nhs))).WithheldOrganisationOdsCodes);
        }

        Assert.Equal(3, counters.MemoryHits);

        // The reader's memory holds version 1; an opt-out through the writer is version 2, a key the
        // reader has never seen: its very next evaluation denies.
        await writer.Client.RecordOptOutAsync(Calls.OptOut(nhs), ConsentHost.IgOfficer());
        var after = await reader.Client.EvaluateAccessAsync(Calls.Evaluate(nhs));
        Assert.Equal(AccessDecisionReason.PatientOptedOut, after.Reason);
        Assert.Equal(2, after.ConsentVersion);
    }

    [Fact]
    public async Task Patient_without_consent_record_never_touches_the_cache()
    {
        using var counters = new CacheCounters(host.Services);
        var nhs = ConsentHost.NewNhsNumber();
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(AccessDecisionReason.NoRestrictions, (await host.Client.EvaluateAccessAsync(Calls.Evaluate(nhs))).Reason);
        }

        Assert.Equal(3, counters.NoRecord);
        Assert.Equal(0, counters.Hits + counters.Misses);
    }

    [Fact]
    public async Task Two_replicas_never_serve_a_stale_decision_after_a_change_returns()
    {
        await using var replica = new ConsentReplica(host.Database.ConnectionString, host.RedisConnectionString);
        using var primaryCounters = new CacheCounters(host.Services);
        using var replicaCounters = new CacheCounters(replica.Services);
        var replicas = new[] { host.Client, replica.Client };
        var nhs = ConsentHost.NewNhsNumber();
        var expected = new List<string>();
        var ids = new List<string>();

        for (var step = 0; step < 12; step++)
        {
            // Both replicas evaluate first, so each holds a warm (and about to be outdated) answer.
            foreach (var client in replicas)
            {
                Assert.Equal(expected.Order(), (await client.EvaluateAccessAsync(Calls.Evaluate(nhs))).WithheldOrganisationOdsCodes);
            }

            var writer = replicas[step % 2];
            if (step % 3 == 2)
            {
                await writer.RemoveRestrictionAsync(Calls.Remove(nhs, ids[0]), ConsentHost.IgOfficer());
                ids.RemoveAt(0);
                expected.RemoveAt(0);
            }
            else
            {
                var ods = "RX" + step.ToString("00", System.Globalization.CultureInfo.InvariantCulture);
                ids.Add((await writer.AddRestrictionAsync(Calls.Add(nhs, Calls.WithholdOrganisation(ods)), ConsentHost.IgOfficer())).Restriction.Id);
                expected.Add(ods);
            }

            // The very next evaluation on the other replica (and on the writer) sees the change.
            foreach (var client in replicas.Reverse())
            {
                var d = await client.EvaluateAccessAsync(Calls.Evaluate(nhs));
                Assert.Equal(expected.Order(), d.WithheldOrganisationOdsCodes);
                Assert.Equal(step + 1, d.ConsentVersion);
            }
        }

        // An opt-out through one replica denies on the other at once.
        await replica.Client.RecordOptOutAsync(Calls.OptOut(nhs), ConsentHost.IgOfficer());
        Assert.Equal(AccessDecisionReason.PatientOptedOut, (await host.Client.EvaluateAccessAsync(Calls.Evaluate(nhs, emergency: true))).Reason);

        // They shared the cache: the replica that did not write found the writer's snapshot.
        Assert.True(primaryCounters.Hits > 0 && replicaCounters.Hits > 0);
    }

    [Fact]
    public async Task Expiry_is_applied_at_evaluation_time_not_frozen_into_the_cache()
    {
        var later = new ManualClock(DateTimeOffset.UtcNow.AddDays(2));
        await using var future = new ConsentReplica(host.Database.ConnectionString, host.RedisConnectionString, later);
        var nhs = ConsentHost.NewNhsNumber();
        var block = Calls.BlockProfessional(Calls.Viewer);
        block.EndTime = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddDays(1));
        await host.Client.AddRestrictionAsync(Calls.Add(nhs, block), ConsentHost.IgOfficer());

        Assert.Equal(AccessDecisionReason.ProfessionalBlocked, (await host.Client.EvaluateAccessAsync(Calls.Evaluate(nhs))).Reason);

        // Same version, same cached snapshot, but a day after the end time: the block no longer applies.
        var afterEnd = await future.Client.EvaluateAccessAsync(Calls.Evaluate(nhs));
        Assert.Equal(AccessDecision.Permit, afterEnd.Decision);
        Assert.Equal(1, afterEnd.ConsentVersion);
        var state = (await future.Client.GetConsentAsync(new GetConsentRequest { NhsNumber = nhs })).Consent;
        Assert.Empty(state.Restrictions);

        // Removing an expired restriction changes nothing and reports it expired.
        var removed = await future.Client.RemoveRestrictionAsync(Calls.Remove(nhs, (await host.Client.GetConsentAsync(
            new GetConsentRequest { NhsNumber = nhs })).Consent.Restrictions[0].Id), ConsentHost.IgOfficer());
        Assert.Equal(RestrictionState.Expired, removed.Restriction.State);
        Assert.Equal(1, removed.Consent.Version);
    }

    /// <summary>Deletes every cached snapshot of one patient (as if Redis had restarted).</summary>
    private async Task ForgetCachedSnapshotsAsync(string nhs)
    {
        var redis = host.Services.GetRequiredService<IConnectionMultiplexer>();
        var pseudonym = host.Services.GetRequiredService<PatientPseudonymiser>().Pseudonym(nhs);
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        var deleted = 0;
        await foreach (var key in server.KeysAsync(pattern: $"lcr:consent:snapshot:{pseudonym}:*"))
        {
            deleted += await redis.GetDatabase().KeyDeleteAsync(key) ? 1 : 0;
        }

        Assert.True(deleted > 0);
    }
}
