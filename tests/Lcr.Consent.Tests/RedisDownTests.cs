using Grpc.Core;
using Lcr.Consent.V1;
using Lcr.Testing;

namespace Lcr.Consent.Tests;

/// <summary>
/// Redis is a cache for reads: paused or gone, EvaluateAccess still answers, correctly, from
/// PostgreSQL. Changes need it (the patient version store): refused, nothing written.
/// </summary>
public class RedisDownTests(ConsentHost host, KillableRedis redis) : IClassFixture<ConsentHost>, IClassFixture<KillableRedis>
{
    [Fact]
    public async Task Evaluate_access_answers_from_postgres_when_redis_is_paused_and_an_entry_cached_before_the_outage_is_never_served_after_a_change()
    {
        await using var replica = new ConsentReplica(host.Database.ConnectionString, redis.Configuration, localCache: false);
        using var counters = new CacheCounters(replica.Services);
        var nhs = ConsentHost.NewNhsNumber();
        await replica.Client.AddRestrictionAsync(Calls.Add(nhs, Calls.WithholdOrganisation("RGD")), ConsentHost.IgOfficer());
        Assert.Equal(["RGD"], (await replica.Client.EvaluateAccessAsync(Calls.Evaluate(nhs))).WithheldOrganisationOdsCodes);
        Assert.Equal(1, counters.Hits);

        await redis.PauseAsync();
        try
        {
            // This replica cannot announce a change to the patient version store, so it refuses it, writing nothing.
            await RpcAssert.Fails(StatusCode.Unavailable, "VERSION_STORE_UNAVAILABLE",
                () => replica.Client.RecordOptOutAsync(Calls.OptOut(nhs), ConsentHost.IgOfficer(), deadline: DateTime.UtcNow.AddSeconds(30)).ResponseAsync);
            Assert.Equal(1, (await replica.Client.EvaluateAccessAsync(Calls.Evaluate(nhs), deadline: DateTime.UtcNow.AddSeconds(30))).ConsentVersion);

            // A change through another instance (its own Redis reachable) commits although this
            // replica's cache cannot be told; this replica's read falls back to PostgreSQL.
            await host.Client.RecordOptOutAsync(Calls.OptOut(nhs), ConsentHost.IgOfficer(), deadline: DateTime.UtcNow.AddSeconds(30));
            var during = await replica.Client.EvaluateAccessAsync(Calls.Evaluate(nhs), deadline: DateTime.UtcNow.AddSeconds(30));
            Assert.Equal(AccessDecisionReason.PatientOptedOut, during.Reason);
        }
        finally
        {
            await redis.ResumeAsync();
        }

        // Redis is back and still holds the version-1 snapshot (not opted out); it is never used again.
        for (var i = 0; i < 3; i++)
        {
            var after = await replica.Client.EvaluateAccessAsync(Calls.Evaluate(nhs));
            Assert.Equal(AccessDecisionReason.PatientOptedOut, after.Reason);
            Assert.Equal(2, after.ConsentVersion);
        }
    }
}

/// <summary>Redis killed outright (its own class: the fixture's server does not come back): reads still work, changes are refused.</summary>
public class RedisKilledTests(ConsentHost host, KillableRedis redis) : IClassFixture<ConsentHost>, IClassFixture<KillableRedis>
{
    [Fact]
    public async Task Evaluate_access_works_and_changes_are_refused_with_nothing_written_with_redis_killed()
    {
        await using var replica = new ConsentReplica(host.Database.ConnectionString, redis.Configuration, localCache: false);
        var nhs = ConsentHost.NewNhsNumber();
        var block = await replica.Client.AddRestrictionAsync(Calls.Add(nhs, Calls.BlockOrganisation("RR8")), ConsentHost.IgOfficer());
        Assert.Equal(AccessDecisionReason.OrganisationBlocked, (await replica.Client.EvaluateAccessAsync(Calls.Evaluate(nhs))).Reason);

        await redis.KillAsync();
        Assert.False(redis.Running);

        Assert.Equal(AccessDecisionReason.OrganisationBlocked, (await replica.Client.EvaluateAccessAsync(Calls.Evaluate(nhs))).Reason);

        // Changes need the patient version store (readers are told of every change): refused, nothing written.
        await RpcAssert.Fails(StatusCode.Unavailable, "VERSION_STORE_UNAVAILABLE",
            () => replica.Client.RemoveRestrictionAsync(Calls.Remove(nhs, block.Restriction.Id), ConsentHost.IgOfficer()).ResponseAsync);
        var after = await replica.Client.EvaluateAccessAsync(Calls.Evaluate(nhs));
        Assert.Equal(AccessDecisionReason.OrganisationBlocked, after.Reason);
        Assert.Equal(1, after.ConsentVersion);
        Assert.Equal(AccessDecisionReason.NoRestrictions,
            (await replica.Client.EvaluateAccessAsync(Calls.Evaluate(ConsentHost.NewNhsNumber()))).Reason);
    }
}
