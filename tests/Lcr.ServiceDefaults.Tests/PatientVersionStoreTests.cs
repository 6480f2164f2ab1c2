using System.Security.Cryptography;
using Lcr.ServiceDefaults;
using Lcr.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace Lcr.ServiceDefaults.Tests;

/// <summary>
/// The patient version store against a real, private redis-server: the protocol's promises a
/// reader relies on (a tag moves with every write, a write in flight holds readers off, a lost
/// or flushed record never repeats a tag) and its failure modes (Redis down: probes give
/// nothing, writes are refused before anything is written).
/// </summary>
public sealed class PatientVersionStoreTests : IAsyncLifetime
{
    private const string Patient = "9990000018";
    private const string Other = "9990000026";
    private RedisServer _redis = null!;
    private ConnectionMultiplexer _connection = null!;
    private readonly PatientPseudonymiser _pseudonyms = new(RandomNumberGenerator.GetBytes(32));

    public async Task InitializeAsync()
    {
        _redis = await RedisServer.StartAsync();
        _connection = await ConnectionMultiplexer.ConnectAsync(_redis.ConnectionString + ",allowAdmin=true");
    }

    public async Task DisposeAsync()
    {
        await _connection.DisposeAsync();
        await _redis.DisposeAsync();
    }

    private PatientVersionStore Store(PatientVersionOptions? options = null, IConnectionMultiplexer? redis = null, PatientPseudonymiser? pseudonyms = null)
    {
        // A generous probe timeout: these tests are about the protocol, and a loaded CI machine may
        // take longer than the production 250 ms (a probe that times out answers null by design).
        options ??= new PatientVersionOptions();
        options.ProbeTimeout = TimeSpan.FromSeconds(5);
        var store = new PatientVersionStore(redis ?? _connection, pseudonyms ?? _pseudonyms, options,
            NullLogger<PatientVersionStore>.Instance);
        Assert.True(store.AnnounceAsync().GetAwaiter().GetResult());
        return store;
    }

    [Fact]
    public async Task A_first_probe_makes_a_record_and_the_next_probe_returns_the_same_tags()
    {
        var store = Store();
        var first = await store.ProbeAsync(Patient);
        var second = await store.ProbeAsync(Patient);
        Assert.NotNull(first);
        Assert.Equal(first, second);
        foreach (var kind in Enum.GetValues<PatientDataKind>())
        {
            Assert.NotNull(first.Tag(kind));
        }
    }

    [Fact]
    public async Task A_write_moves_its_kind_on_when_marked_and_again_when_published_and_holds_readers_off_in_between()
    {
        var store = Store();
        var before = (await store.ProbeAsync(Patient))!;
        var write = await store.BeginWriteAsync(PatientDataKind.Consent, Patient);
        var during = (await store.ProbeAsync(Patient))!;
        Assert.Null(during.Tag(PatientDataKind.Consent));
        Assert.NotEqual(before.Consent, during.Consent);
        Assert.Equal(before.Tag(PatientDataKind.Record), during.Tag(PatientDataKind.Record)); // other kinds untouched
        Assert.Equal(before.Tag(PatientDataKind.Demographics), during.Tag(PatientDataKind.Demographics));

        await write.CompleteAsync();
        var after = (await store.ProbeAsync(Patient))!;
        Assert.NotNull(after.Tag(PatientDataKind.Consent));
        Assert.NotEqual(during.Consent, after.Consent);
        Assert.NotEqual(before.Consent, after.Consent);
        Assert.Equal(before.Tag(PatientDataKind.Record), after.Tag(PatientDataKind.Record));
    }

    [Fact]
    public async Task Overlapping_writes_hold_readers_off_until_the_last_one_publishes()
    {
        var store = Store();
        var a = await store.BeginWriteAsync(PatientDataKind.Record, Patient);
        var b = await store.BeginWriteAsync(PatientDataKind.Record, Patient);
        await a.CompleteAsync();
        Assert.Null((await store.ProbeAsync(Patient))!.Tag(PatientDataKind.Record));
        await b.CompleteAsync();
        Assert.NotNull((await store.ProbeAsync(Patient))!.Tag(PatientDataKind.Record));
    }

    [Fact]
    public async Task Completing_a_write_twice_publishes_once()
    {
        var store = Store();
        var a = await store.BeginWriteAsync(PatientDataKind.Record, Patient);
        var b = await store.BeginWriteAsync(PatientDataKind.Record, Patient);
        await a.CompleteAsync();
        await a.CompleteAsync(); // must not lift b's mark
        Assert.Null((await store.ProbeAsync(Patient))!.Tag(PatientDataKind.Record));
        await b.CompleteAsync();
    }

    [Fact]
    public async Task A_write_that_never_publishes_holds_readers_off_until_its_mark_lapses_and_the_tag_has_moved_on()
    {
        var store = Store(new PatientVersionOptions { PendingFor = TimeSpan.FromMilliseconds(400) });
        var before = (await store.ProbeAsync(Patient))!;
        _ = await store.BeginWriteAsync(PatientDataKind.Demographics, [Patient, Other]);
        Assert.Null((await store.ProbeAsync(Patient))!.Tag(PatientDataKind.Demographics));
        Assert.Null((await store.ProbeAsync(Other))!.Tag(PatientDataKind.Demographics));
        await Task.Delay(600);
        var lapsed = (await store.ProbeAsync(Patient))!;
        Assert.NotNull(lapsed.Tag(PatientDataKind.Demographics));
        Assert.NotEqual(before.Tag(PatientDataKind.Demographics), lapsed.Tag(PatientDataKind.Demographics));
    }

    [Fact]
    public async Task A_write_past_half_its_mark_is_refused_before_the_commit()
    {
        var store = Store(new PatientVersionOptions { PendingFor = TimeSpan.FromMilliseconds(200) });
        var write = await store.BeginWriteAsync(PatientDataKind.Consent, Patient);
        write.EnsureCovered();
        await Task.Delay(150);
        var refused = Assert.Throws<DependencyUnavailableException>(write.EnsureCovered);
        Assert.Equal("WRITE_TOO_SLOW", refused.Reason);
        await write.CompleteAsync();
    }

    [Fact]
    public async Task A_flushed_or_lost_record_never_repeats_a_tag()
    {
        var store = Store();
        var seen = new HashSet<VersionTag>();
        for (var round = 0; round < 5; round++)
        {
            var probe = (await store.ProbeAsync(Patient))!;
            foreach (var kind in Enum.GetValues<PatientDataKind>())
            {
                Assert.True(seen.Add(probe.Tag(kind)!.Value), $"tag repeated in round {round}");
            }

            if (round % 2 == 0)
            {
                await _connection.GetServer(_connection.GetEndPoints()[0]).FlushDatabaseAsync();
                await store.AnnounceAsync(); // as a writer does after a flush
            }
            else
            {
                await _connection.GetDatabase().KeyDeleteAsync(store.Key(Patient)); // expired, evicted
            }
        }
    }

    [Fact]
    public async Task A_flush_changes_the_epoch()
    {
        var store = Store();
        var before = (await store.ProbeAsync(Patient))!;
        await _connection.GetServer(_connection.GetEndPoints()[0]).FlushDatabaseAsync();
        Assert.Null(await store.ProbeAsync(Patient)); // nothing reused until a writer has announced the key again
        await store.AnnounceAsync();
        var after = (await store.ProbeAsync(Patient))!;
        Assert.NotEqual(before.Epoch, after.Epoch);
    }

    [Fact]
    public async Task The_record_is_keyed_by_pseudonym_never_the_nhs_number()
    {
        var store = Store();
        await store.ProbeAsync(Patient);
        await (await store.BeginWriteAsync(PatientDataKind.Record, Other)).CompleteAsync();
        var keys = _connection.GetServer(_connection.GetEndPoints()[0]).Keys(pattern: "*").Select(k => k.ToString()).ToList();
        Assert.Contains(store.Key(Patient), keys);
        Assert.DoesNotContain(keys, k => k.Contains(Patient, StringComparison.Ordinal) || k.Contains(Other, StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_redis_down_a_probe_gives_nothing_and_a_write_is_refused_before_it_starts()
    {
        var store = Store();
        await store.ProbeAsync(Patient);
        await _redis.StopAsync();
        try
        {
            Assert.Null(await store.ProbeAsync(Patient));
            var refused = await Assert.ThrowsAsync<DependencyUnavailableException>(() => store.BeginWriteAsync(PatientDataKind.Consent, Patient));
            Assert.Equal("VERSION_STORE_UNAVAILABLE", refused.Reason);
        }
        finally
        {
            await _redis.StartAgainAsync();
        }
    }

    [Fact]
    public async Task A_process_with_another_pseudonym_key_reuses_nothing_and_cannot_write()
    {
        var store = Store();
        var stranger = new PatientVersionStore(_connection, new PatientPseudonymiser(RandomNumberGenerator.GetBytes(32)), new PatientVersionOptions(),
            NullLogger<PatientVersionStore>.Instance);
        Assert.False(await stranger.AnnounceAsync());
        Assert.Null(await stranger.ProbeAsync(Patient)); // it would probe records no writer moves
        var refused = await Assert.ThrowsAsync<DependencyUnavailableException>(() => stranger.BeginWriteAsync(PatientDataKind.Consent, Patient));
        Assert.Equal("VERSION_STORE_UNAVAILABLE", refused.Reason);
        Assert.NotNull(await store.ProbeAsync(Patient)); // the announced key still works
    }

    [Fact]
    public async Task Without_redis_configured_the_store_is_off()
    {
        var store = new PatientVersionStore(null, _pseudonyms, new PatientVersionOptions(), NullLogger<PatientVersionStore>.Instance);
        Assert.False(store.Enabled);
        Assert.Null(await store.ProbeAsync(Patient));
        var write = await store.BeginWriteAsync(PatientDataKind.Consent, Patient);
        write.EnsureCovered();
        await write.CompleteAsync();
    }
}
