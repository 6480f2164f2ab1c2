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

    /// <summary>Views waiting to be counted; a view arriving when it is full is dropped (and counted as dropped), never waited for.</summary>
    public int QueueCapacity { get; set; } = 10_000;
}
