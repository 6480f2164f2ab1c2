using System.Diagnostics.Metrics;
using Lcr.Consent.Application;
using Microsoft.Extensions.DependencyInjection;

namespace Lcr.Consent.Tests;

/// <summary>Counts one host's "Lcr.Consent" cache hits and misses (as an OpenTelemetry exporter would see them).</summary>
public sealed class CacheCounters : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _hits;
    private long _memoryHits;
    private long _misses;
    private long _noRecord;

    public CacheCounters(IServiceProvider services)
    {
        var factory = services.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == ConsentMetrics.Name && ReferenceEquals(instrument.Meter.Scope, factory))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            switch (instrument.Name)
            {
                case "lcr.consent.cache.hits":
                    Interlocked.Add(ref _hits, value);
                    foreach (var tag in tags)
                    {
                        if (tag is { Key: "tier", Value: "memory" })
                        {
                            Interlocked.Add(ref _memoryHits, value);
                        }
                    }

                    break;
                case "lcr.consent.cache.misses":
                    Interlocked.Add(ref _misses, value);
                    break;
                case "lcr.consent.no_record":
                    Interlocked.Add(ref _noRecord, value);
                    break;
            }
        });
        _listener.Start();
    }

    public long Hits => Interlocked.Read(ref _hits);

    /// <summary>Hits served from the replica's own memory (tier = memory), a subset of <see cref="Hits"/>.</summary>
    public long MemoryHits => Interlocked.Read(ref _memoryHits);

    public long Misses => Interlocked.Read(ref _misses);

    public long NoRecord => Interlocked.Read(ref _noRecord);

    public void Dispose() => _listener.Dispose();
}
