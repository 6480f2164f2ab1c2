using System.Buffers.Binary;
using System.Collections.Concurrent;
using Lcr.Audit.V1;

namespace Lcr.Gateway.Tests.Sealing;

/// <summary>
/// Watches what the gateway sends the real audit service (RecordEvents requests), without
/// changing or answering anything: the request bytes are read, copied and passed on to the audit
/// service, which answers as usual. Lets a test see every field of each event as the gateway
/// recorded it, whichever of them audit keeps in its own columns.
/// </summary>
public sealed class AuditTap
{
    private readonly ConcurrentQueue<AuditEvent> _events = new();

    /// <summary>Every event sent so far, in order.</summary>
    public IReadOnlyList<AuditEvent> Events => [.. _events];

    /// <summary>The events about one patient.</summary>
    public IReadOnlyList<AuditEvent> For(string nhsNumber) => [.. _events.Where(e => e.NhsNumber == nhsNumber)];

    public HttpMessageHandler Wrap(HttpMessageHandler inner) => new Handler(this) { InnerHandler = inner };

    private sealed class Handler(AuditTap tap) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Content is not null && request.RequestUri?.AbsolutePath.EndsWith("/RecordEvents", StringComparison.Ordinal) == true)
            {
                var bytes = await request.Content.ReadAsByteArrayAsync(cancellationToken);
                // One gRPC message frame: compressed flag, big-endian length, the message.
                if (bytes.Length >= 5 && bytes[0] == 0)
                {
                    var length = (int)BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(1, 4));
                    foreach (var e in RecordEventsRequest.Parser.ParseFrom(bytes, 5, length).Events)
                    {
                        tap._events.Enqueue(e);
                    }
                }

                var copy = new ByteArrayContent(bytes);
                foreach (var header in request.Content.Headers)
                {
                    copy.Headers.TryAddWithoutValidation(header.Key, header.Value);
                }

                request.Content = copy;
            }

            return await base.SendAsync(request, cancellationToken);
        }
    }
}
