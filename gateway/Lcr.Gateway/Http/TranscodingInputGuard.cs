using Grpc.AspNetCore.Server;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Lcr.ServiceDefaults;
using Microsoft.AspNetCore.Grpc.JsonTranscoding;

namespace Lcr.Gateway.Http;

/// <summary>
/// JSON transcoding converts the request (JSON body, path and query parameters) before any
/// interceptor runs, and answers a value that does not convert with INVALID_ARGUMENT whose
/// message is the converter's, which quotes the caller's text (e.g. <c>Error converting value
/// "..."</c>). This guard holds back whatever a transcoded call writes until the gRPC pipeline is
/// reached (<see cref="Marker"/>, the first interceptor); an answer written before that is the
/// transcoder's own refusal, and is replaced by a fixed INVALID_ARGUMENT with ErrorInfo
/// <see cref="RequestParsing.Reason"/> naming the method only, as a protobuf body that does not
/// parse is answered over gRPC. Calls that reach the pipeline stream through untouched.
/// The transcoder does not apply gRPC's <c>MaxReceiveMessageSize</c> to a JSON body either, so
/// the same limit is applied here: a larger declared body is 413 RESOURCE_EXHAUSTED (reason
/// <see cref="TooLargeReason"/>) before it is read, and a chunked one stops being read there.
/// </summary>
public sealed class TranscodingInputGuard(RequestDelegate next, Microsoft.Extensions.Options.IOptions<GrpcServiceOptions> grpcOptions)
{
    /// <summary>ErrorInfo reason of a JSON body larger than the gateway accepts.</summary>
    public const string TooLargeReason = "REQUEST_TOO_LARGE";

    private static readonly object Reached = new();

    public async Task InvokeAsync(HttpContext context)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<GrpcJsonTranscodingMetadata>() is not { } transcoded)
        {
            await next(context);
            return;
        }

        if (grpcOptions.Value.MaxReceiveMessageSize is int max)
        {
            if (context.Request.ContentLength > max)
            {
                var method = transcoded.MethodDescriptor.FullName;
                await WriteStatusAsync(context, StatusCode.ResourceExhausted,
                    $"The request body is larger than the {max} bytes the gateway accepts for {method}; nothing was done.", TooLargeReason, method,
                    StatusCodes.Status413PayloadTooLarge);
                return;
            }

            if (context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            {
                size.MaxRequestBodySize = max;
            }
        }

        var original = context.Response.Body;
        var held = new HoldingStream(original, () => context.Items.ContainsKey(Reached));
        context.Response.Body = held;
        try
        {
            await next(context);
        }
        finally
        {
            context.Response.Body = original;
        }

        if (!held.Buffered)
        {
            return;
        }

        if (context.Response.StatusCode == StatusCodes.Status400BadRequest && !context.Response.HasStarted)
        {
            var method = transcoded.MethodDescriptor.FullName;
            await WriteStatusAsync(context, StatusCode.InvalidArgument,
                $"The request is not a valid request for {method}: malformed JSON, a value of the wrong type, an unknown " +
                "enum name or field, or a path or query parameter that does not convert; nothing was done.", RequestParsing.Reason, method);
        }
        else
        {
            await held.CopyHeldToAsync(original, context.RequestAborted);
        }
    }

    private static Task WriteStatusAsync(HttpContext context, StatusCode code, string message, string reason, string method, int? httpStatus = null)
    {
        var status = new Google.Rpc.Status
        {
            Code = (int)code,
            Message = message,
            Details =
            {
                Google.Protobuf.WellKnownTypes.Any.Pack(new Google.Rpc.ErrorInfo
                {
                    Reason = reason, Domain = ErrorDomain.Name, Metadata = { ["method"] = method },
                }),
            },
        };
        return GrpcStatusResponse.WriteJsonAsync(context, status, httpStatus);
    }

    /// <summary>The first interceptor of the gateway: marks that a transcoded call reached the gRPC pipeline.</summary>
    public sealed class Marker : Interceptor
    {
        public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context,
            UnaryServerMethod<TRequest, TResponse> continuation)
        {
            Mark(context);
            return continuation(request, context);
        }

        public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream,
            ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
        {
            Mark(context);
            return continuation(request, responseStream, context);
        }

        private static void Mark(ServerCallContext context) => context.GetHttpContext().Items[Reached] = Reached;
    }

    /// <summary>Writes through once <paramref name="reached"/> is true; before that, holds what is written.</summary>
    private sealed class HoldingStream(Stream inner, Func<bool> reached) : Stream
    {
        private MemoryStream? _held;

        public bool Buffered => _held is not null;

        public async Task CopyHeldToAsync(Stream target, CancellationToken cancel)
        {
            _held!.Position = 0;
            await _held.CopyToAsync(target, cancel);
        }

        private Stream Target => reached() && _held is null ? inner : (_held ??= new MemoryStream());

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => Target.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => Target.FlushAsync(cancellationToken);
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => Target.Write(buffer, offset, count);
        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Target.WriteAsync(buffer, offset, count, cancellationToken);
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            Target.WriteAsync(buffer, cancellationToken);
    }
}
