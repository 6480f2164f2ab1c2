using Google.Protobuf;
using Grpc.Core;
using Lcr.Gateway.V1;
using Lcr.Security;

namespace Lcr.Gateway.SubjectAccess;

/// <summary>
/// <c>lcr.gateway.v1.SubjectAccessService</c>: streams the export prepared by
/// <see cref="SubjectAccessExporter"/> as a header, then the Bundle's JSON in chunks of at most
/// <see cref="ChunkBytes"/> as it is written (each chunk is sent when full, so HTTP/2 flow
/// control paces the writing to the caller's reading), then a trailer with the size and
/// SHA-256, so no message comes near gRPC's size limit and the gateway never holds the whole
/// Bundle.
/// </summary>
[AccessTokenCaller]
public sealed class SubjectAccessGrpcService(SubjectAccessExporter exporter) : SubjectAccessService.SubjectAccessServiceBase
{
    public const int ChunkBytes = 1024 * 1024;

    public override async Task ExportSubjectAccess(ExportSubjectAccessRequest request, IServerStreamWriter<ExportSubjectAccessResponse> responseStream,
        ServerCallContext context)
    {
        var export = await exporter.PrepareAsync(request, context);
        await responseStream.WriteAsync(new ExportSubjectAccessResponse { Header = export.Header }, context.CancellationToken);
        await using var chunks = new BundleChunkStream(
            (bytes, ct) => responseStream.WriteAsync(new ExportSubjectAccessResponse { BundleChunk = ByteString.CopyFrom(bytes.Span) }, ct),
            ChunkBytes);
        await exporter.WriteBundleAsync(export, chunks, context);
        var sha256 = await chunks.CompleteAsync(context.CancellationToken);
        await responseStream.WriteAsync(new ExportSubjectAccessResponse
        {
            Trailer = new SubjectAccessExportTrailer { SizeBytes = chunks.BytesWritten, Sha256 = ByteString.CopyFrom(sha256) },
        }, context.CancellationToken);
    }
}
