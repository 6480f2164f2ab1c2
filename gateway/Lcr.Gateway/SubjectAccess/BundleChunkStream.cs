using System.Security.Cryptography;

namespace Lcr.Gateway.SubjectAccess;

/// <summary>
/// A write-only stream that cuts what is written into chunks of at most
/// <see cref="ChunkBytes"/> and hands each to <c>send</c> as soon as it is full (the gRPC
/// service writes it to the response stream, so HTTP/2 flow control holds the writer back
/// when the caller reads slowly). It counts the bytes and hashes them (SHA-256) as they pass,
/// for the export's trailer. Memory: one chunk buffer, whatever is written through it.
/// </summary>
public sealed class BundleChunkStream(Func<ReadOnlyMemory<byte>, CancellationToken, Task> send, int chunkBytes) : Stream
{
    private readonly byte[] _buffer = new byte[chunkBytes];
    private readonly IncrementalHash _sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private int _filled;
    private long _length;
    private bool _completed;

    /// <summary>The largest chunk handed to <c>send</c>.</summary>
    public int ChunkBytes => _buffer.Length;

    /// <summary>Bytes written so far.</summary>
    public long BytesWritten => _length;

    /// <summary>Chunks handed to <c>send</c> so far.</summary>
    public int ChunksSent { get; private set; }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => !_completed;
    public override long Length => _length;

    public override long Position
    {
        get => _length;
        set => throw new NotSupportedException();
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        _sha256.AppendData(buffer.Span);
        _length += buffer.Length;
        while (buffer.Length > 0)
        {
            var n = Math.Min(buffer.Length, _buffer.Length - _filled);
            buffer[..n].CopyTo(_buffer.AsMemory(_filled));
            _filled += n;
            buffer = buffer[n..];
            if (_filled == _buffer.Length)
            {
                await SendAsync(cancellationToken);
            }
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Sends what is left as the last chunk and returns the SHA-256 of everything written.</summary>
    public async Task<byte[]> CompleteAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        if (_filled > 0)
        {
            await SendAsync(cancellationToken);
        }

        _completed = true;
        return _sha256.GetHashAndReset();
    }

    private async Task SendAsync(CancellationToken cancellationToken)
    {
        await send(_buffer.AsMemory(0, _filled), cancellationToken);
        _filled = 0;
        ChunksSent++;
    }

    // Nothing is buffered beyond the current chunk, which is sent when full or on completion.
    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override void Write(byte[] buffer, int offset, int count) =>
        throw new NotSupportedException("Write asynchronously: each full chunk is sent to the caller.");

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _sha256.Dispose();
        }

        base.Dispose(disposing);
    }
}
