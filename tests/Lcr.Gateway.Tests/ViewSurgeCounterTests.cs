using System.Security.Cryptography;
using Lcr.Gateway.Records;
using Lcr.ServiceDefaults;
using Lcr.Testing;
using StackExchange.Redis;

namespace Lcr.Gateway.Tests;

/// <summary>The view-surge count in the real Redis of the test run (each test on its own pseudonym key, so its own sorted sets).</summary>
public sealed class ViewSurgeCounterTests : IAsyncLifetime
{
    private const string Nhs = "9434765919";
    private static readonly TimeSpan Window = TimeSpan.FromHours(1);
    private ConnectionMultiplexer _redis = null!;
    private ViewSurgeCounter _counter = null!;

    public async Task InitializeAsync()
    {
        _redis = await ConnectionMultiplexer.ConnectAsync(Infrastructure.Redis);
        _counter = new ViewSurgeCounter(_redis, new PatientPseudonymiser(RandomNumberGenerator.GetBytes(32)));
    }

    public async Task DisposeAsync()
    {
        await _redis.GetDatabase().KeyDeleteAsync(_counter.Key(Nhs));
        await _redis.DisposeAsync();
    }

    [Fact]
    public async Task Distinct_professionals_are_counted_once_each_within_the_window_and_older_views_drop_out()
    {
        var now = DateTimeOffset.UtcNow;
        var start = now - Window;
        Assert.Equal(1, await _counter.RecordAsync(Nhs, "prof-old", now.AddHours(-2), now.AddHours(-2) - Window, Window)); // a view two hours ago
        Assert.Equal(1, await _counter.RecordAsync(Nhs, "prof-a", now, start, Window)); // prof-old is outside the window
        Assert.Equal(1, await _counter.RecordAsync(Nhs, "prof-a", now.AddSeconds(1), start, Window)); // the same viewer again
        Assert.Equal(2, await _counter.RecordAsync(Nhs, "prof-b", now.AddSeconds(2), start, Window));
        Assert.Equal(3, await _counter.RecordAsync(Nhs, "prof-c", now.AddSeconds(3), start, Window));

        var db = _redis.GetDatabase();
        var ttl = await db.KeyTimeToLiveAsync(_counter.Key(Nhs));
        Assert.NotNull(ttl);
        Assert.True(ttl <= Window);

        await _counter.ResetAsync(Nhs);
        Assert.False(await db.KeyExistsAsync(_counter.Key(Nhs)));
        Assert.Equal(1, await _counter.RecordAsync(Nhs, "prof-d", now.AddSeconds(4), start, Window));
    }

    [Fact]
    public void The_key_is_the_patients_keyed_pseudonym_never_the_nhs_number()
    {
        var key = _counter.Key(Nhs).ToString();
        Assert.StartsWith("lcr:gateway:viewers:", key, StringComparison.Ordinal);
        Assert.DoesNotContain(Nhs, key, StringComparison.Ordinal);
    }
}
