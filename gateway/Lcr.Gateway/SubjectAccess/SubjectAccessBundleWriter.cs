using System.Buffers;
using System.Text.Json;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Utility;
using Lcr.Clinical.V1;
using R4 = Hl7.Fhir.Model;

namespace Lcr.Gateway.SubjectAccess;

/// <summary>
/// Writes a subject access Bundle's JSON to a stream as it goes, entry by entry, so that an
/// export never holds the whole Bundle, nor more than one document's content, in memory.
/// <para>
/// Every piece of JSON is the Firely SDK's: the Bundle's own elements (id, meta, identifier,
/// type, timestamp) are serialized by the SDK from the Bundle without its entries, and each
/// <c>Bundle.entry</c> (its fullUrl and resource) by the SDK's <see cref="BaseFhirJsonSerializer"/>
/// straight into the same <see cref="Utf8JsonWriter"/>; only the <c>entry</c> array around
/// them is opened and closed here. A DocumentReference annotated with
/// <see cref="PendingDocumentContent"/> gets its content fetched just before it is written and
/// dropped just after; the writer is flushed to the stream after every entry.
/// </para>
/// </summary>
public static class SubjectAccessBundleWriter
{
    private static readonly BaseFhirJsonSerializer Serializer = new(R4.ModelInfo.ModelInspector);

    /// <summary>Writes <paramref name="bundle"/> to <paramref name="output"/>, fetching each pending document's content with <paramref name="fetchContent"/> (by entry id).</summary>
    public static async Task WriteAsync(R4.Bundle bundle, Stream output, Func<string, CancellationToken, Task<DocumentContent>> fetchContent,
        CancellationToken cancellationToken)
    {
        await using var writer = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true });
        writer.WriteStartObject();
        using (var envelope = JsonDocument.Parse(SerializeWithoutEntries(bundle)))
        {
            foreach (var property in envelope.RootElement.EnumerateObject())
            {
                property.WriteTo(writer);
            }
        }

        writer.WritePropertyName("entry");
        writer.WriteStartArray();
        foreach (var entry in bundle.Entry)
        {
            if (entry.Resource is R4.DocumentReference document && document.Annotation<PendingDocumentContent>() is { } pending)
            {
                FhirBundleBuilder.AttachContent(document, await fetchContent(pending.EntryId, cancellationToken));
                try
                {
                    Serializer.Serialize(entry, writer);
                }
                finally
                {
                    FhirBundleBuilder.DetachContent(document);
                }
            }
            else
            {
                Serializer.Serialize(entry, writer);
            }

            await writer.FlushAsync(cancellationToken);
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        await writer.FlushAsync(cancellationToken);
    }

    /// <summary>The Bundle's own elements as the SDK writes them, without <c>entry</c> (which it writes last of them).</summary>
    private static byte[] SerializeWithoutEntries(R4.Bundle bundle)
    {
        var entries = bundle.Entry;
        bundle.Entry = [];
        try
        {
            var buffer = new ArrayBufferWriter<byte>();
            using (var shell = new Utf8JsonWriter(buffer))
            {
                Serializer.Serialize(bundle, shell);
            }

            return buffer.WrittenSpan.ToArray();
        }
        finally
        {
            bundle.Entry = entries;
        }
    }
}
