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
