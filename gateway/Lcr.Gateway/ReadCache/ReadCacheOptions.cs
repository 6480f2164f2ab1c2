namespace Lcr.Gateway.ReadCache;

/// <summary>The gateway's per-replica read cache (<c>Gateway:ReadCache:*</c>; docs/architecture.md "The read path").</summary>
public sealed class ReadCacheOptions
{
    /// <summary>Off: every read asks consent, demographics and clinical, as before issue 22.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Answers kept (consent decisions, resolutions, patients, summaries, pages, entries together).</summary>
    public int MaxEntries { get; set; } = 20_000;

    /// <summary>
    /// The longest an answer is reused even when its version tag still matches: the bound on the
    /// one case the protocol cannot exclude (a Redis failover to a replica that lost the writes
    /// that moved a tag on; docs/architecture.md). 0 turns reuse off.
    /// </summary>
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromMinutes(5);

    public bool IsValid => MaxEntries is >= 0 and <= 1_000_000 && MaxAge >= TimeSpan.Zero && MaxAge <= TimeSpan.FromHours(1);
}
