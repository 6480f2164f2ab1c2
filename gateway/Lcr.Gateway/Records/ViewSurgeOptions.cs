namespace Lcr.Gateway.Records;

/// <summary>The automatic seal on a view surge (<c>Gateway:ViewSurge:*</c>).</summary>
public sealed class ViewSurgeOptions
{
    /// <summary>The record is sealed when MORE distinct professionals than this viewed it within <see cref="Window"/>.</summary>
    public int DistinctViewers { get; set; } = 30;

    /// <summary>The sliding window the distinct viewers are counted over.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The automatic seal's review time: now plus this.</summary>
    public TimeSpan ReviewAfter { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// A professional re-reading a record within this long of being counted for it is not counted
    /// again (they cannot change its distinct viewers), which keeps repeat reads off Redis. Must be
    /// shorter than <see cref="Window"/>; a repeat viewer may leave the window up to this much early.
    /// </summary>
    public TimeSpan RecountAfter { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How many (patient, professional) pairs a replica remembers for <see cref="RecountAfter"/>.</summary>
    public int RecentViewersCapacity { get; set; } = 100_000;

    /// <summary>Views waiting to be counted; a view arriving when it is full is dropped (and counted as dropped), never waited for.</summary>
    public int QueueCapacity { get; set; } = 10_000;
}
