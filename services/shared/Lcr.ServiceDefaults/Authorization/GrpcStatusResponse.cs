using System.Globalization;
using System.Text;
using Google.Protobuf;
using Microsoft.AspNetCore.Http;

namespace Lcr.ServiceDefaults;

/// <summary>
/// Answers a gRPC request from middleware (before any gRPC handler or interceptor runs) with a
/// proper gRPC status: HTTP 200 and a "trailers-only" response carrying <c>grpc-status</c>,
/// <c>grpc-message</c> and the rich <c>grpc-status-details-bin</c> (google.rpc.Status with its
/// ErrorInfo), exactly what a client gets when a handler throws. Without it ASP.NET Core's
/// authorization middleware answers a bare HTTP 401/403, which gRPC clients report as a
/// transport failure with no reason to branch on.
/// </summary>
public static class GrpcStatusResponse
{
    /// <summary>True for gRPC and gRPC-Web requests (their content type starts <c>application/grpc</c>).</summary>
    public static bool IsGrpc(HttpContext context) =>
        context.Request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) == true;

    /// <summary>
    /// True for a request routed to a gRPC method that is not itself gRPC: a gRPC JSON transcoding
    /// call (HTTP/JSON), which is answered with the status as JSON.
    /// </summary>
    public static bool IsTranscoded(HttpContext context) =>
        !IsGrpc(context) && context.GetEndpoint()?.Metadata.GetMetadata<Grpc.AspNetCore.Server.GrpcMethodMetadata>() is not null;

    private static readonly JsonFormatter Json = new(JsonFormatter.Settings.Default
        .WithTypeRegistry(Google.Protobuf.Reflection.TypeRegistry.FromFiles(Google.Rpc.ErrorDetailsReflection.Descriptor)));

    /// <summary>
    /// Writes <paramref name="status"/> the way gRPC JSON transcoding answers a failed call: the HTTP
    /// status its code maps to and the google.rpc.Status as JSON (ErrorInfo and the other details
    /// included), so an HTTP caller refused before the handler (authorization, rate limit) reads the
    /// same body as one refused by it.
    /// </summary>
    /// <param name="httpStatus">An HTTP status more precise than the code's (e.g. 413 for a body too large), if any.</param>
    public static Task WriteJsonAsync(HttpContext context, Google.Rpc.Status status, int? httpStatus = null)
    {
        var response = context.Response;
        response.StatusCode = httpStatus ?? HttpStatusFor((Grpc.Core.StatusCode)status.Code);
        response.ContentType = "application/json; charset=utf-8";
        response.ContentLength = null;
        return response.WriteAsync(Json.Format(status), context.RequestAborted);
    }

    /// <summary>The HTTP status gRPC JSON transcoding gives each gRPC code (google.rpc.Code's mapping).</summary>
    public static int HttpStatusFor(Grpc.Core.StatusCode code) => code switch
    {
        Grpc.Core.StatusCode.OK => StatusCodes.Status200OK,
        Grpc.Core.StatusCode.Cancelled => 499,
        Grpc.Core.StatusCode.InvalidArgument or Grpc.Core.StatusCode.FailedPrecondition or Grpc.Core.StatusCode.OutOfRange => StatusCodes.Status400BadRequest,
        Grpc.Core.StatusCode.DeadlineExceeded => StatusCodes.Status504GatewayTimeout,
        Grpc.Core.StatusCode.NotFound => StatusCodes.Status404NotFound,
        Grpc.Core.StatusCode.AlreadyExists or Grpc.Core.StatusCode.Aborted => StatusCodes.Status409Conflict,
        Grpc.Core.StatusCode.PermissionDenied => StatusCodes.Status403Forbidden,
        Grpc.Core.StatusCode.Unauthenticated => StatusCodes.Status401Unauthorized,
        Grpc.Core.StatusCode.ResourceExhausted => StatusCodes.Status429TooManyRequests,
        Grpc.Core.StatusCode.Unimplemented => StatusCodes.Status501NotImplemented,
        Grpc.Core.StatusCode.Unavailable => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status500InternalServerError,
    };

    /// <summary>Writes <paramref name="status"/> as the whole response; nothing else may have been written.</summary>
    public static Task WriteAsync(HttpContext context, Google.Rpc.Status status)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/grpc";
        response.Headers["grpc-status"] = status.Code.ToString(CultureInfo.InvariantCulture);
        response.Headers["grpc-message"] = PercentEncode(status.Message);
        response.Headers["grpc-status-details-bin"] = Convert.ToBase64String(status.ToByteArray());
        return Task.CompletedTask;
    }

    /// <summary>The gRPC wire form of a status message: UTF-8, every byte outside printable ASCII (and '%') as %XX.</summary>
    internal static string PercentEncode(string message)
    {
        var text = new StringBuilder(message.Length);
        foreach (var b in Encoding.UTF8.GetBytes(message))
        {
            if (b is >= 0x20 and <= 0x7E and not (byte)'%')
            {
                text.Append((char)b);
            }
            else
            {
                text.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return text.ToString();
    }
}
