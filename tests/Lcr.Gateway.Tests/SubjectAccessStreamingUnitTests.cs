using System.Security.Cryptography;
using System.Text.Json;
using Google.Protobuf;
using Hl7.Fhir.Utility;
using Lcr.Audit.V1;
using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Lcr.Gateway.SubjectAccess;
using R4 = Hl7.Fhir.Model;

namespace Lcr.Gateway.Tests;

/// <summary>The streamed Bundle writer and its chunking, without a host: pure, fast.</summary>
public class SubjectAccessStreamingUnitTests
{
    private const string Nhs = "9990000018";

    private static Entry Document(string id, int version, bool enteredInError = false) => new()
    {
        Id = id,
        NhsNumber = Nhs,
        Version = version,
        Category = RecordCategory.Documents,
        EnteredInError = enteredInError,
        Code = new CodedConcept { System = "http://snomed.info/sct", Code = "373942005", Display = "Discharge summary" },
        Provenance = new Provenance
        {
            SourceEntryId = "src-" + id, SourceSystem = "PPM+",
            SourceOrganisation = new OrganisationReference { OdsCode = "RR8", DisplayName = "Leeds Teaching Hospitals" },
            RecordedTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(new DateTimeOffset(2025, 1, version, 9, 0, 0, TimeSpan.Zero)),
        },
        Document = new Document { Type = DocumentType.DischargeSummary, Title = "Discharge " + id, ContentType = "application/pdf" },
    };

    private static SubjectAccessData Data()
    {
        var current = Document("doc-a", 2);
        var other = Document("doc-b", 1);
        var retracted = Document("doc-c", 2, enteredInError: true);
        var log = new AuditEvent
        {
            EventId = "0193a6f0-0000-7000-8000-000000000001",
            Action = AuditAction.CareRelationshipChange,
            Outcome = AuditOutcome.Permitted,
            PurposeOfUse = PurposeOfUse.RecordContribution,
            Actor = new Actor { Kind = ActorKind.System, Id = "rr8-ppm-feed" },
            RecordTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(DateTimeOffset.UnixEpoch.AddYears(55)),
        };
        return new SubjectAccessData("bundle-1", new DateTimeOffset(2026, 12, 7, 12, 0, 0, TimeSpan.Zero), Nhs, null, null,
        [
            new EntryWithHistory(current, [current, Document("doc-a", 1)]),
            new EntryWithHistory(other, [other]),
            new EntryWithHistory(retracted, [retracted, Document("doc-c", 1)]),
        ], [log]);
    }

    private static readonly Dictionary<string, DocumentContent> Contents = new()
    {
        ["doc-a"] = new DocumentContent { ContentType = "application/pdf", Data = ByteString.CopyFrom(RandomNumberGenerator.GetBytes(300_000)) },
        ["doc-b"] = new DocumentContent { ContentType = "text/plain", Data = ByteString.CopyFromUtf8("Seen in clinic; plan unchanged.") },
    };

    private static async Task<(byte[] Bytes, List<int> Chunks, byte[] Sha256, List<string> Fetched)> StreamAsync(R4.Bundle bundle, int chunkBytes)
    {
        var chunks = new List<int>();
        using var received = new MemoryStream();
        var fetched = new List<string>();
        await using var stream = new BundleChunkStream((bytes, _) =>
        {
            chunks.Add(bytes.Length);
            received.Write(bytes.Span);
            return Task.CompletedTask;
        }, chunkBytes);
        await SubjectAccessBundleWriter.WriteAsync(bundle, stream, (id, _) =>
        {
            fetched.Add(id);
            return Task.FromResult(Contents[id]);
        }, CancellationToken.None);
        var sha = await stream.CompleteAsync(CancellationToken.None);
        Assert.Equal(received.Length, stream.BytesWritten);
        return (received.ToArray(), chunks, sha, fetched);
    }

    [Fact]
    public async Task The_streamed_bundle_is_the_bundle_the_sdk_serializes_whole()
    {
        var streamed = await StreamAsync(FhirBundleBuilder.Build(Data()), 64 * 1024);

        // The same Bundle serialized whole by the SDK, with the contents attached as before streaming.
        var whole = FhirBundleBuilder.Build(Data());
        foreach (var d in whole.Entry.Select(e => e.Resource).OfType<R4.DocumentReference>())
        {
            if (d.Annotation<PendingDocumentContent>() is { } pending)
            {
                FhirBundleBuilder.AttachContent(d, Contents[pending.EntryId]);
            }
        }

        var expected = JsonSerializer.Deserialize<R4.Bundle>(JsonSerializer.SerializeToUtf8Bytes(whole, SubjectAccessExporter.Json), SubjectAccessExporter.Json)!;
        var actual = JsonSerializer.Deserialize<R4.Bundle>(streamed.Bytes, SubjectAccessExporter.Json)!;
        // Parsed and written back by the SDK, the two are the same text: the same elements, the same values.
        Assert.Equal(JsonSerializer.Serialize(expected, SubjectAccessExporter.Json), JsonSerializer.Serialize(actual, SubjectAccessExporter.Json));

        // Only current, non-retracted documents have content, fetched once each, in Bundle order.
        Assert.Equal(["doc-a", "doc-b"], streamed.Fetched);
        var docs = actual.Entry.Select(e => e.Resource).OfType<R4.DocumentReference>().ToList();
        Assert.Equal(Contents["doc-a"].Data.ToByteArray(), Assert.Single(docs, d => d.Status == R4.DocumentReferenceStatus.Current && d.Description == "Discharge doc-a").Content[0].Attachment.Data);
        Assert.All(docs.Where(d => d.Status != R4.DocumentReferenceStatus.Current), d => Assert.Null(d.Content[0].Attachment.Data));
        Assert.Equal("text/plain", Assert.Single(docs, d => d.Description == "Discharge doc-b").Content[0].Attachment.ContentType);
    }

    [Fact]
    public async Task Chunks_are_never_larger_than_the_chunk_size_and_the_checksum_covers_every_byte()
    {
        var streamed = await StreamAsync(FhirBundleBuilder.Build(Data()), 10_000);
        Assert.True(streamed.Chunks.Count > 40);
        Assert.All(streamed.Chunks, c => Assert.InRange(c, 1, 10_000));
        Assert.All(streamed.Chunks[..^1], c => Assert.Equal(10_000, c));
        Assert.Equal(SHA256.HashData(streamed.Bytes), streamed.Sha256);
    }

    [Fact]
    public async Task A_documents_content_is_dropped_once_it_is_written()
    {
        var bundle = FhirBundleBuilder.Build(Data());
        await StreamAsync(bundle, 64 * 1024);
        Assert.All(bundle.Entry.Select(e => e.Resource).OfType<R4.DocumentReference>(), d =>
        {
            Assert.Null(d.Content[0].Attachment.Data);
            Assert.Null(d.Content[0].Attachment.Hash);
        });
    }

    [Fact]
    public void A_care_relationship_change_is_an_update_in_the_access_log()
    {
        var audit = Assert.Single(FhirBundleBuilder.Build(Data()).Entry.Select(e => e.Resource).OfType<R4.AuditEvent>());
        Assert.Equal(R4.AuditEvent.AuditEventAction.U, audit.Action);
        Assert.Equal("CareRelationshipChange", audit.Subtype[0].Code);
    }
}
