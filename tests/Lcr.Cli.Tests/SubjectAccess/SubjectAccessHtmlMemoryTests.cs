using System.Text.Json;
using Hl7.Fhir.Serialization;
using Lcr.Cli.SubjectAccess;
using R4 = Hl7.Fhir.Model;

namespace Lcr.Cli.Tests.SubjectAccess;

/// <summary>
/// A 160 MiB record (40 PDF documents of 4 MiB, a 214 MiB Bundle once base64-encoded) rendered
/// as the readable copy from a file to a file: the renderer reads the Bundle entry by entry
/// and writes as it goes, so it holds about one document at a time, not the record.
/// </summary>
public sealed class SubjectAccessHtmlMemoryTests : IDisposable
{
    private const int Documents = 40;
    private const int DocumentBytes = 4 * 1024 * 1024;
    private readonly string _dir = Directory.CreateTempSubdirectory("lcr-sar-html-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task A_large_record_is_rendered_while_holding_far_less_than_its_size()
    {
        var bundlePath = Path.Combine(_dir, "sar.json");
        await WriteLargeBundleAsync(bundlePath);
        var baseline = GC.GetTotalMemory(forceFullCollection: true);

        var htmlPath = Path.Combine(_dir, "sar.html");
        long peak;
        await using (var source = new FileStream(bundlePath, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, useAsync: true))
        {
            var record = await SubjectAccessRecord.ReadAsync(source, CancellationToken.None);
            var afterReading = GC.GetTotalMemory(forceFullCollection: true) - baseline;
            await using var file = new FileStream(htmlPath, FileMode.Create, FileAccess.Write, FileShare.None, 64 * 1024, useAsync: true);
            await using var sampling = new SamplingWriter(new StreamWriter(file), everyChars: 4 * 1024 * 1024);
            await SubjectAccessHtmlRenderer.RenderAsync(record, sampling, CancellationToken.None);
            peak = Math.Max(afterReading, sampling.Peak - baseline);
            GC.KeepAlive(record);
        }

        var bundleMiB = new FileInfo(bundlePath).Length / (1024.0 * 1024);
        var htmlMiB = new FileInfo(htmlPath).Length / (1024.0 * 1024);
        var peakMiB = peak / (1024.0 * 1024);
        Console.WriteLine($"readable copy of a {bundleMiB:0} MiB Bundle ({Documents} documents of 4 MiB): {htmlMiB:0} MiB of HTML, " +
            $"at most {peakMiB:0.0} MiB held beyond the baseline");
        Assert.True(htmlMiB > Documents * 4, $"the HTML ({htmlMiB:0} MiB) should embed every document");
        Assert.True(peakMiB < Documents * 4 / 2.0, $"rendering held {peakMiB:0.0} MiB beyond its baseline, more than half the record's documents");
    }

    /// <summary>The Bundle written entry by entry with the Firely SDK, as the gateway streams it (never whole in the test's memory either).</summary>
    private static async Task WriteLargeBundleAsync(string path)
    {
        var json = new JsonSerializerOptions().ForFhir(R4.ModelInfo.ModelInspector);
        await using var file = File.Create(path);
        await using var writer = new Utf8JsonWriter(file);
        writer.WriteStartObject();
        writer.WriteString("resourceType", "Bundle");
        writer.WriteString("id", "large-export");
        writer.WriteString("type", "collection");
        writer.WriteString("timestamp", "2026-12-07T12:00:00Z");
        writer.WriteStartArray("entry");
        var organisation = new R4.Organization { Id = "org", Name = "Leeds Teaching Hospitals" };
        organisation.Identifier.Add(new R4.Identifier(SubjectAccessRecord.OdsSystem, "RR8"));
        WriteEntry(writer, organisation, json);
        var random = new Random(7);
        for (var i = 0; i < Documents; i++)
        {
            var data = new byte[DocumentBytes];
            random.NextBytes(data);
            var d = TestBundle.Letter($"Scan {i}", string.Empty, contentType: "application/pdf");
            d.Id = $"doc-{i}";
            d.Content[0].Attachment.Data = data;
            d.Identifier.Add(new R4.Identifier(SubjectAccessRecord.EntryIdSystem, $"e{i}"));
            d.Identifier.Add(new R4.Identifier(SubjectAccessRecord.SourceEntryIdSystem, $"s{i}") { Assigner = new R4.ResourceReference("urn:uuid:org") });
            WriteEntry(writer, d, json);
            await writer.FlushAsync();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static void WriteEntry(Utf8JsonWriter writer, R4.Resource resource, JsonSerializerOptions json)
    {
        writer.WriteStartObject();
        writer.WriteString("fullUrl", "urn:uuid:" + resource.Id);
        writer.WritePropertyName("resource");
        JsonSerializer.Serialize(writer, resource, json);
        writer.WriteEndObject();
    }

    /// <summary>Passes writes through, sampling the managed heap after a full collection every <c>everyChars</c> characters.</summary>
    private sealed class SamplingWriter(TextWriter inner, int everyChars) : TextWriter
    {
        private long _sinceSample;

        public long Peak { get; private set; }

        public override System.Text.Encoding Encoding => inner.Encoding;

        public override void Write(char value) => inner.Write(value);

        public override async Task WriteAsync(ReadOnlyMemory<char> buffer, CancellationToken cancellationToken = default)
        {
            await inner.WriteAsync(buffer, cancellationToken);
            _sinceSample += buffer.Length;
            if (_sinceSample >= everyChars)
            {
                _sinceSample = 0;
                Peak = Math.Max(Peak, GC.GetTotalMemory(forceFullCollection: true));
            }
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override async ValueTask DisposeAsync()
        {
            await inner.DisposeAsync();
            await base.DisposeAsync();
        }
    }
}
