using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;
using Lcr.Gateway.V1;

namespace Lcr.Gateway.SubjectAccess;

/// <summary>
/// <c>lcr.gateway.v1.SubjectAccessService</c>: streams the export built by
/// <see cref="SubjectAccessExporter"/> as a header, chunks of at most <see cref="ChunkBytes"/>
/// and a trailer with the size and SHA-256, so no message comes near gRPC's size limit.
/// </summary>
public sealed class SubjectAccessGrpcService(SubjectAccessExporter exporter) : SubjectAccessService.SubjectAccessServiceBase
{
    public const int ChunkBytes = 1024 * 1024;

    public override async Task ExportSubjectAccess(ExportSubjectAccessRequest request, IServerStreamWriter<ExportSubjectAccessResponse> responseStream,
        ServerCallContext context)
    {
        var export = await exporter.ExportAsync(request, context);
        await responseStream.WriteAsync(new ExportSubjectAccessResponse { Header = export.Header }, context.CancellationToken);
        var bytes = export.Bundle;
        for (var offset = 0; offset < bytes.Length; offset += ChunkBytes)
        {
            var chunk = UnsafeByteOperations.UnsafeWrap(bytes.AsMemory(offset, Math.Min(ChunkBytes, bytes.Length - offset)));
            await responseStream.WriteAsync(new ExportSubjectAccessResponse { BundleChunk = chunk }, context.CancellationToken);
        }

        await responseStream.WriteAsync(new ExportSubjectAccessResponse
        {
            Trailer = new SubjectAccessExportTrailer { SizeBytes = bytes.Length, Sha256 = ByteString.CopyFrom(SHA256.HashData(bytes)) },
        }, context.CancellationToken);
    }
}
