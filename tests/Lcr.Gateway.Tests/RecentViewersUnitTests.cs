using Lcr.Gateway.Records;

namespace Lcr.Gateway.Tests;

/// <summary>The view-surge monitor's memory of viewers just counted, which keeps repeat reads off Redis (no host).</summary>
public class RecentViewersUnitTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 7, 9, 0, 0, TimeSpan.Zero);
    private const string Nhs = "9990000018";

    [Fact]
    public void A_repeat_view_within_the_interval_is_skipped_and_counted_again_after_it()
    {
        var recent = new RecentViewers(TimeSpan.FromMinutes(5), 10);
        Assert.False(recent.WasJustCounted(Nhs, "a", T0));
        recent.Counted(Nhs, "a", T0);

        Assert.True(recent.WasJustCounted(Nhs, "a", T0.AddMinutes(4)));
        Assert.False(recent.WasJustCounted(Nhs, "a", T0.AddMinutes(5)));
        Assert.False(recent.WasJustCounted(Nhs, "b", T0.AddMinutes(1)));
        Assert.False(recent.WasJustCounted("9990000026", "a", T0.AddMinutes(1)));
        // A clock that went back never hides a view.
        Assert.False(recent.WasJustCounted(Nhs, "a", T0.AddSeconds(-1)));
    }

    [Fact]
    public void Forgetting_a_record_counts_its_viewers_again()
    {
        var recent = new RecentViewers(TimeSpan.FromMinutes(5), 10);
        recent.Counted(Nhs, "a", T0);
        recent.Counted("9990000026", "a", T0);
        recent.Forget(Nhs);

        Assert.False(recent.WasJustCounted(Nhs, "a", T0.AddMinutes(1)));
        Assert.True(recent.WasJustCounted("9990000026", "a", T0.AddMinutes(1)));
    }

    [Fact]
    public void It_stays_within_its_capacity_dropping_stale_pairs_first()
    {
        var recent = new RecentViewers(TimeSpan.FromMinutes(5), 3);
        recent.Counted(Nhs, "old", T0);
        recent.Counted(Nhs, "b", T0.AddMinutes(4));
        recent.Counted(Nhs, "c", T0.AddMinutes(4));

        recent.Counted(Nhs, "d", T0.AddMinutes(6)); // "old" is stale: only it goes
        Assert.Equal(3, recent.Count);
        Assert.True(recent.WasJustCounted(Nhs, "b", T0.AddMinutes(6)));

        recent.Counted(Nhs, "e", T0.AddMinutes(6)); // nothing stale: all go, so memory never grows past the capacity
        Assert.Equal(1, recent.Count);
        Assert.False(recent.WasJustCounted(Nhs, "b", T0.AddMinutes(6)));
        Assert.True(recent.WasJustCounted(Nhs, "e", T0.AddMinutes(6)));
    }
}
