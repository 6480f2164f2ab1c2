using System.Buffers.Binary;
using System.Collections.Concurrent;
using Lcr.Audit.V1;

namespace Lcr.Gateway.Tests;

/// <summary>
/// Sits in front of the real audit service and sees every <c>RecordEvents</c> call the gateway
/// makes: counts them, keeps the events of each, and can hold them (as a slow audit service
/// would) until released, then forward them or fail them as an unreachable service would.
/// </summary>
public sealed class AuditCallGate
{
    private TaskCompletionSource<bool> _gate = Open();
    private int _held;

    /// <summary>The events of each RecordEvents call, in the order the calls arrived.</summary>
    public ConcurrentQueue<AuditEvent[]> Calls { get; } = new();

    /// <summary>RecordEvents calls waiting at the gate now.</summary>
    public int Held => Volatile.Read(ref _held);

    /// <summary>Events in the calls held now.</summary>
    public int HeldEvents => HeldCalls.Keys.Sum(c => c.Length);

    private ConcurrentDictionary<AuditEvent[], byte> HeldCalls { get; } = new();

    /// <summary>From now on calls wait at the gate.</summary>
    public void Hold() => Interlocked.Exchange(ref _gate, new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously));

    /// <summary>Lets held and later calls through to the audit service (<paramref name="forward"/>) or fails them all.</summary>
    public void Release(bool forward) => Volatile.Read(ref _gate).TrySetResult(forward);

    public HttpMessageHandler Wrap(HttpMessageHandler inner) => new Handler(this, inner);

    private static TaskCompletionSource<bool> Open()
    {
        var open = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        open.SetResult(true);
        return open;
    }

    private sealed class Handler(AuditCallGate gate, HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Content is null || request.RequestUri?.AbsolutePath.EndsWith("/RecordEvents", StringComparison.Ordinal) != true)
            {
                return await base.SendAsync(request, cancellationToken);
            }

            var body = await request.Content.ReadAsByteArrayAsync(cancellationToken);
            var length = BinaryPrimitives.ReadInt32BigEndian(body.AsSpan(1, 4)); // one uncompressed gRPC frame
            var events = RecordEventsRequest.Parser.ParseFrom(body, 5, length).Events.ToArray();
            gate.Calls.Enqueue(events);
            gate.HeldCalls[events] = 0;
            Interlocked.Increment(ref gate._held);
            bool forward;
            try
            {
                forward = await Volatile.Read(ref gate._gate).Task.WaitAsync(cancellationToken);
            }
            finally
            {
                Interlocked.Decrement(ref gate._held);
                gate.HeldCalls.TryRemove(events, out _);
            }

            if (!forward)
            {
                throw new HttpRequestException("Connection refused (test: audit down)", new System.Net.Sockets.SocketException(111));
            }

            var copy = new ByteArrayContent(body);
            foreach (var header in request.Content.Headers)
            {
                copy.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }

            request.Content = copy;
            return await base.SendAsync(request, cancellationToken);
        }
    }
}
