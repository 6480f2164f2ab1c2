using System.Buffers.Binary;
using System.Collections.Concurrent;
using Lcr.Audit.V1;

namespace Lcr.Gateway.Tests;

/// <summary>
/// Passes the gateway's calls to the real audit service unchanged, keeping a copy of every
/// event sent with RecordEvents: what the gateway asserted, field by field, including fields
/// the audit service does not store.
/// </summary>
public sealed class AuditEventRecorder(HttpMessageHandler inner, ConcurrentQueue<AuditEvent> events) : DelegatingHandler(inner)
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Content is not null && request.RequestUri?.AbsolutePath.EndsWith("/RecordEvents", StringComparison.Ordinal) == true)
        {
            var body = await request.Content.ReadAsByteArrayAsync(cancellationToken);
            // One gRPC frame: a compression flag, a 4-byte big-endian length, the message.
            if (body.Length >= 5 && body[0] == 0)
            {
                var length = BinaryPrimitives.ReadInt32BigEndian(body.AsSpan(1, 4));
                foreach (var e in RecordEventsRequest.Parser.ParseFrom(body, 5, length).Events)
                {
                    events.Enqueue(e);
                }
            }

            var copy = new ByteArrayContent(body);
            foreach (var header in request.Content.Headers)
            {
                copy.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }

            request.Content = copy;
        }

        return await base.SendAsync(request, cancellationToken);
    }
}
