using System.Collections.Concurrent;
using System.Diagnostics;
using Lcr.ServiceDefaults;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Lcr.Testing;

/// <summary>
/// Captures what a service would write to its log, formatted by the production formatter
/// (<see cref="RedactingJsonConsoleFormatter"/>), so tests can search real log lines.
/// </summary>
public sealed class LogCapture : ILoggerProvider, ISupportExternalScope
{
    private readonly RedactingJsonConsoleFormatter _formatter = new();
    private IExternalScopeProvider? _scopes;

    public ConcurrentQueue<string> Lines { get; } = new();

    public ILogger CreateLogger(string categoryName) => new CaptureLogger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
    }

    private sealed class CaptureLogger(LogCapture owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => owner._scopes?.Push(state) ?? NullScope.Instance;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            using var writer = new StringWriter();
            owner._formatter.Write(new Microsoft.Extensions.Logging.Abstractions.LogEntry<TState>(logLevel, category, eventId, state, exception, formatter),
                owner._scopes, writer);
            owner.Lines.Enqueue(writer.ToString());
        }
    }

    private sealed class NullScope : IDisposable
    {
        public static readonly NullScope Instance = new();

        public void Dispose()
        {
        }
    }
}

/// <summary>Flattens captured spans to searchable text: names, every attribute, status, events.</summary>
public static class SpanText
{
    /// <summary>
    /// The searchable text of the spans, from a snapshot: activity sources are process-wide, so
    /// another host's requests may still be exported into the list while a test reads it (a copy
    /// that races an append is simply taken again).
    /// </summary>
    public static IEnumerable<string> Of(IEnumerable<Activity> activities) =>
        Snapshot(activities).SelectMany(a =>
            new[] { a.DisplayName, a.StatusDescription ?? string.Empty }
                .Concat(a.TagObjects.Select(t => $"{t.Key}={t.Value}"))
                .Concat(a.Events.SelectMany(e => e.Tags.Select(t => $"{e.Name}:{t.Key}={t.Value}"))));

    private static Activity[] Snapshot(IEnumerable<Activity> activities)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return activities.ToArray();
            }
            catch (Exception e) when (e is InvalidOperationException or ArgumentException && attempt < 100)
            {
            }
        }
    }
}

/// <summary>
/// Every metric measurement made in this process, from every meter (the platform's own, ASP.NET
/// Core's, Npgsql's, the runtime's; whether or not an exporter is configured): each instrument's
/// meter, name, unit and description, every distinct tag set it was measured with, and any
/// measurement whose value has ten integral digits (the shape of an NHS number). Kept as distinct
/// searchable text, so a whole test run fits in memory.
/// </summary>
public sealed class MetricCapture : IDisposable
{
    private readonly System.Diagnostics.Metrics.MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, byte> _text = new(StringComparer.Ordinal);

    public MetricCapture()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            _text.TryAdd($"{instrument.Meter.Name}/{instrument.Name} unit={instrument.Unit} {instrument.Description}", 0);
            listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<byte>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<short>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<float>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<decimal>((i, v, tags, _) => Record(i, (double)v, tags));
        _listener.Start();
    }

    /// <summary>Instruments seen and measurements recorded (observable instruments are read first).</summary>
    public IReadOnlyCollection<string> Lines
    {
        get
        {
            _listener.RecordObservableInstruments();
            return _text.Keys.ToArray();
        }
    }

    /// <summary>Measurements recorded so far, of any instrument.</summary>
    public long Measurements => Interlocked.Read(ref _measurements);

    private long _measurements;

    private void Record(System.Diagnostics.Metrics.Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        Interlocked.Increment(ref _measurements);
        if (tags.Length > 0)
        {
            var line = new System.Text.StringBuilder(instrument.Name);
            foreach (var tag in tags)
            {
                line.Append(' ').Append(tag.Key).Append('=').Append(Convert.ToString(tag.Value, System.Globalization.CultureInfo.InvariantCulture));
            }

            _text.TryAdd(line.ToString(), 0);
        }

        if (Math.Abs(value) is >= 1e9 and < 1e10)
        {
            _text.TryAdd(FormattableString.Invariant($"{instrument.Name} value={value:F0}"), 0);
        }
    }

    public void Dispose() => _listener.Dispose();
}
