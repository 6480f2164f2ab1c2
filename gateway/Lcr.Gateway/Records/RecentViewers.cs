namespace Lcr.Gateway.Records;

/// <summary>
/// The (patient, professional) pairs this replica counted in Redis within the last
/// <see cref="ViewSurgeOptions.RecountAfter"/>: a professional re-reading a record they were just
/// counted for cannot change its distinct viewers, so their view skips Redis. The cost is that a
/// repeat viewer's latest-view time in Redis may be up to that interval old (they leave the window
/// that much sooner), never a viewer missed. Bounded: past <paramref name="capacity"/> pairs the
/// stale ones are dropped, and all of them if none is stale. Used by the one background consumer
/// (<see cref="ViewSurgeService"/>) only, so not thread-safe. Pure (time is passed in).
/// </summary>
public sealed class RecentViewers(TimeSpan recountAfter, int capacity)
{
    private readonly Dictionary<(string Nhs, string Professional), DateTimeOffset> _counted = [];

    /// <summary>How many pairs are held.</summary>
    public int Count => _counted.Count;

    /// <summary>True when this professional's view of this record was counted less than the interval before <paramref name="at"/>.</summary>
    public bool WasJustCounted(string nhsNumber, string professionalId, DateTimeOffset at) =>
        _counted.TryGetValue((nhsNumber, professionalId), out var counted) && at - counted < recountAfter && at >= counted;

    /// <summary>Notes that the view was counted at <paramref name="at"/>.</summary>
    public void Counted(string nhsNumber, string professionalId, DateTimeOffset at)
    {
        if (_counted.Count >= capacity && !_counted.ContainsKey((nhsNumber, professionalId)))
        {
            foreach (var stale in _counted.Where(p => at - p.Value >= recountAfter).Select(p => p.Key).ToList())
            {
                _counted.Remove(stale);
            }

            if (_counted.Count >= capacity)
            {
                _counted.Clear();
            }
        }

        _counted[(nhsNumber, professionalId)] = at;
    }

    /// <summary>Forgets a record's viewers (after it was sealed and its count started again).</summary>
    public void Forget(string nhsNumber)
    {
        foreach (var pair in _counted.Keys.Where(k => k.Nhs == nhsNumber).ToList())
        {
            _counted.Remove(pair);
        }
    }
}
