using System.Diagnostics;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace Lcr.ServiceDefaults;

/// <summary>
/// Structured JSON log lines, one per line, with trace and span ids so a log line can be
/// found from a trace, and with <see cref="Pii.Scrub"/> applied to the message, every
/// state value, scope value and exception text.
/// </summary>
public sealed class RedactingJsonConsoleFormatter() : ConsoleFormatter(FormatterName)
{
    public const string FormatterName = "lcr-json";

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
    };

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter?.Invoke(logEntry.State, logEntry.Exception);
        if (message is null && logEntry.Exception is null)
        {
            return;
        }

        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("timestamp", DateTimeOffset.UtcNow);
            json.WriteString("level", logEntry.LogLevel.ToString());
            json.WriteString("category", logEntry.Category);
            if (logEntry.EventId.Id != 0 || logEntry.EventId.Name is not null)
            {
                json.WriteNumber("eventId", logEntry.EventId.Id);
            }

            json.WriteString("message", Pii.Scrub(message));
            var activity = Activity.Current;
            if (activity is not null)
            {
                json.WriteString("traceId", activity.TraceId.ToHexString());
                json.WriteString("spanId", activity.SpanId.ToHexString());
            }

            if (logEntry.Exception is { } e)
            {
                json.WriteStartObject("exception");
                json.WriteString("type", e.GetType().FullName);
                json.WriteString("message", Pii.Scrub(e.Message));
                json.WriteString("stackTrace", Pii.Scrub(e.ToString()));
                json.WriteEndObject();
            }

            if (logEntry.State is IReadOnlyList<KeyValuePair<string, object?>> state)
            {
                json.WriteStartObject("state");
                foreach (var (key, value) in state)
                {
                    if (key == "{OriginalFormat}")
                    {
                        continue;
                    }

                    json.WriteString(key, Pii.Scrub(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)));
                }

                json.WriteEndObject();
            }

            if (scopeProvider is not null)
            {
                json.WriteStartObject("scopes");
                scopeProvider.ForEachScope(static (scope, w) =>
                {
                    if (scope is IEnumerable<KeyValuePair<string, object?>> pairs)
                    {
                        foreach (var (key, value) in pairs)
                        {
                            if (key != "{OriginalFormat}")
                            {
                                w.WriteString(key, Pii.Scrub(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)));
                            }
                        }
                    }
                }, json);
                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        textWriter.Write(System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
        textWriter.Write(Environment.NewLine);
    }
}

/// <summary>
/// Scrubs every string span attribute, status description and event attribute when a span
/// ends, before any exporter sees it: instrumentation libraries may record request paths,
/// Redis keys or exception messages that carry identifiers we did not put there ourselves.
/// </summary>
public sealed class PiiScrubbingActivityProcessor : OpenTelemetry.BaseProcessor<Activity>
{
    public override void OnEnd(Activity data)
    {
        foreach (var tag in data.TagObjects.ToArray())
        {
            if (tag.Value is string s)
            {
                var scrubbed = Pii.Scrub(s);
                if (!ReferenceEquals(scrubbed, s) && scrubbed != s)
                {
                    data.SetTag(tag.Key, scrubbed);
                }
            }
        }

        if (data.StatusDescription is { } description)
        {
            data.SetStatus(data.Status, Pii.Scrub(description));
        }
    }
}
