using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;
using Lcr.Clinical.V1;
using Lcr.Common.V1;
using Lcr.Gateway.SubjectAccess;
using Lcr.Gateway.V1;
using Xunit.Abstractions;
using static Lcr.Gateway.Tests.Callers;

namespace Lcr.Gateway.Tests;

/// <summary>
/// A subject access export of a record far larger than the bound, through the real services:
/// the gateway streams it as it is built, so the memory it holds during the export stays
/// near one document plus a few chunks, whatever the record's size.
/// </summary>
[Collection(PlatformCollection.Name)]
public class SubjectAccessMemoryTests(PlatformFixture platform, ITestOutputHelper output)
{
    /// <summary>A seeded patient no other test class contributes to.</summary>
    private const int Patient = 151;

    private const int Documents = 40;
    private const int DocumentBytes = 4 * 1024 * 1024;

    /// <summary>
    /// The most the process may hold beyond its baseline at any moment of a warm export: half the record's 160 MiB of
    /// documents (the code that assembled the Bundle whole held 208 MiB here). Measured warm peaks were 12-63 MiB: besides
    /// one document and its base64, ArrayPool keeps a large buffer per thread-pool thread that has rented one, so the
    /// figure grows with the threads a loaded machine uses, not with the record.
    /// </summary>
    private const long RetainedBound = (long)Documents * DocumentBytes / 2;

    [Fact]
    public async Task A_large_record_is_streamed_while_the_gateway_holds_far_less_than_its_size()
    {
        var gateway = platform.Gateway.Channel;
        var nhs = Nhs(Patient);
        var tag = Guid.NewGuid().ToString("N")[..8];
        var feed = Bearer(await SystemAsync(gateway, "b86001-gp-feed", "record.contribute"));
        var clinical = new ClinicalRecordService.ClinicalRecordServiceClient(gateway);
        var contributed = new List<string>();
        for (var i = 0; i < Documents; i += 2)
        {
            // Two documents per call keeps each request under the platform's 16 MiB message cap.
            var request = new UpsertEntriesRequest { SourceSystem = "SystmOne" };
            request.Entries.Add(Document(nhs, tag, i));
            request.Entries.Add(Document(nhs, tag, i + 1));
            contributed.AddRange((await clinical.UpsertEntriesAsync(request, feed)).Results.Select(r => r.EntryId));
        }

        var token = (await AccessAsync(gateway, "ig.platform", nhs, PurposeOfUse.SubjectAccessRequest)).AccessToken;

        // Cold: the first export after the contributions, from the baseline of a process that has never
        // moved a large message this way (its buffer pools are filled on the way). Warm: the same export
        // again, from a baseline taken once those pools hold what a large call leaves in them.
        var cold = await ExportMeasuredAsync(gateway, token, nhs);
        var warm = await ExportMeasuredAsync(gateway, token, nhs);
        long record = (long)Documents * DocumentBytes;
        foreach (var (name, run) in new[] { ("cold", cold), ("warm", warm) })
        {
            output.WriteLine($"{name}: record {record / 1048576} MiB of documents, bundle {run.Bytes / 1048576.0:F1} MiB in {run.Chunks} chunks, " +
                             $"peak retained beyond baseline {run.Peak / 1048576.0:F1} MiB; samples (MiB): {string.Join(' ', run.Samples)}");
            // Every document's content went out base64-encoded: the Bundle is larger than the record's documents.
            Assert.True(run.Bytes > record * 4 / 3, $"{run.Bytes} bytes streamed");
        }

        // At no sampled moment of the warm export did the process hold more than the bound beyond its baseline.
        // (The cold figure is reported, not asserted: it also counts the process-wide buffer pools (ArrayPool,
        // Kestrel's) filling for the first time, which depends on the machine's core count, not on the record.)
        Assert.True(warm.Peak < RetainedBound, $"warm export: retained {warm.Peak} bytes beyond the baseline");
    }

    private sealed record Measured(long Bytes, int Chunks, long Peak, IReadOnlyList<long> Samples);

    private static async Task<Measured> ExportMeasuredAsync(Grpc.Net.Client.GrpcChannel gateway, string token, string nhs)
    {
        var baseline = Retained();
        using var call = new SubjectAccessService.SubjectAccessServiceClient(gateway)
            .ExportSubjectAccess(new ExportSubjectAccessRequest { NhsNumber = nhs, WholeRecord = true }, Bearer(token));
        using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        SubjectAccessExportHeader? header = null;
        SubjectAccessExportTrailer? trailer = null;
        long received = 0, peak = 0;
        var chunks = 0;
        var samples = new List<long>();
        await foreach (var m in call.ResponseStream.ReadAllAsync())
        {
            switch (m.PartCase)
            {
                case ExportSubjectAccessResponse.PartOneofCase.Header:
                    header = m.Header;
                    break;
                case ExportSubjectAccessResponse.PartOneofCase.BundleChunk:
                    // Hashed and dropped: the test keeps nothing of the Bundle, so what is held is the platform's.
                    Assert.True(m.BundleChunk.Length <= SubjectAccessGrpcService.ChunkBytes);
                    sha256.AppendData(m.BundleChunk.Span);
                    received += m.BundleChunk.Length;
                    if (chunks++ % 4 == 0)
                    {
                        var held = Retained() - baseline;
                        samples.Add(held / 1048576);
                        peak = Math.Max(peak, held);
                    }

                    break;
                case ExportSubjectAccessResponse.PartOneofCase.Trailer:
                    trailer = m.Trailer;
                    break;
            }
        }

        Assert.NotNull(header);
        Assert.NotNull(trailer);
        Assert.Equal(received, trailer.SizeBytes);
        Assert.Equal(sha256.GetHashAndReset(), trailer.Sha256.ToByteArray());
        Assert.True(Assert.Single(header.ResourceCounts, c => c.ResourceType == "DocumentReference").Count >= Documents);
        return new Measured(received, chunks, peak, samples);
    }

    /// <summary>Managed memory still reachable after a full, compacting collection: what the process holds, not what it churns.</summary>
    private static long Retained()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private static EntryContribution Document(string nhs, string tag, int index)
    {
        var content = new byte[DocumentBytes];
        Random.Shared.NextBytes(content);
        "%PDF-1.7\n"u8.CopyTo(content); // the clinical service checks that a PDF is one
        return new EntryContribution
        {
            Entry = new Entry
            {
                NhsNumber = nhs,
                Category = RecordCategory.Documents,
                Code = new CodedConcept { System = "http://snomed.info/sct", Code = "373942005", Display = "Discharge summary" },
                Provenance = new Provenance { SourceEntryId = $"sar-large-{tag}-{index}" },
                Document = new Document
                {
                    Type = DocumentType.DischargeSummary, Title = "Discharge summary " + index, Author = "Dr A Jones",
                    AuthoredTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(new DateTimeOffset(2025, 3, 1, 9, 0, 0, TimeSpan.Zero)),
                },
            },
            DocumentContent = new DocumentContent { ContentType = "application/pdf", Data = UnsafeByteOperations.UnsafeWrap(content) },
        };
    }
}
