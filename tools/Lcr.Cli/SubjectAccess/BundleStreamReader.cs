using System.Text.Json;

namespace Lcr.Cli.SubjectAccess;

/// <summary>
/// Reads a FHIR Bundle's JSON from a stream one <c>Bundle.entry</c> at a time, so a Bundle of
/// hundreds of megabytes (documents are embedded in it) is never held whole: the buffer holds
/// the entry being read (it grows to the largest entry, e.g. one 10 MiB document) and a little
/// more. Top-level string elements (<c>id</c>, <c>timestamp</c>...) are reported as they come;
/// other top-level objects (<c>meta</c>, <c>identifier</c>) are skipped.
/// </summary>
internal sealed class BundleStreamReader(Stream stream)
{
    private enum Phase { BeforeRoot, InRoot, InEntries, Done }

    private byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;
    private long _bufferOffset;
    private bool _final;
    private JsonReaderState _state;
    private Phase _phase = Phase.BeforeRoot;

    /// <summary>The next item, or null at the end of the Bundle. An entry's bytes are valid until the next call.</summary>
    public async ValueTask<BundleItem?> ReadAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (TryNext(out var item, out var done))
            {
                return item;
            }

            if (done)
            {
                return null;
            }

            if (_final)
            {
                throw new InvalidDataException("The Bundle file ends before its JSON does.");
            }

            await FillAsync(cancellationToken);
        }
    }

    private bool TryNext(out BundleItem item, out bool done)
    {
        item = default;
        done = _phase == Phase.Done;
        while (!done)
        {
            var reader = new Utf8JsonReader(_buffer.AsSpan(_start, _end - _start), _final, _state);
            if (!reader.Read())
            {
                return false;
            }

            switch (_phase)
            {
                case Phase.BeforeRoot:
                    Expect(reader.TokenType == JsonTokenType.StartObject);
                    _phase = Phase.InRoot;
                    break;
                case Phase.InRoot when reader.TokenType == JsonTokenType.EndObject:
                    _phase = Phase.Done;
                    done = true;
                    break;
                case Phase.InRoot:
                    Expect(reader.TokenType == JsonTokenType.PropertyName);
                    var name = reader.GetString()!;
                    if (!reader.Read())
                    {
                        return false;
                    }

                    if (name == "entry" && reader.TokenType == JsonTokenType.StartArray)
                    {
                        _phase = Phase.InEntries;
                    }
                    else if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                    {
                        if (!reader.TrySkip())
                        {
                            return false;
                        }
                    }
                    else if (reader.TokenType == JsonTokenType.String)
                    {
                        item = new BundleItem(name, reader.GetString(), 0, default);
                        Commit(ref reader);
                        return true;
                    }

                    break;
                case Phase.InEntries when reader.TokenType == JsonTokenType.EndArray:
                    _phase = Phase.InRoot;
                    break;
                case Phase.InEntries:
                    Expect(reader.TokenType == JsonTokenType.StartObject);
                    var at = (int)reader.TokenStartIndex;
                    if (!reader.TrySkip())
                    {
                        return false;
                    }

                    item = new BundleItem(null, null, _bufferOffset + _start + at, _buffer.AsMemory(_start + at, (int)reader.BytesConsumed - at));
                    Commit(ref reader);
                    return true;
            }

            Commit(ref reader);
        }

        return false;
    }

    private void Commit(ref Utf8JsonReader reader)
    {
        _start += (int)reader.BytesConsumed;
        _state = reader.CurrentState;
    }

    private static void Expect(bool condition)
    {
        if (!condition)
        {
            throw new InvalidDataException("The file is not a FHIR Bundle in JSON.");
        }
    }

    /// <summary>Moves what is unread to the front, grows the buffer if it is full of one unfinished entry, and reads until it is full or the stream ends.</summary>
    private async Task FillAsync(CancellationToken cancellationToken)
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _bufferOffset += _start;
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            Array.Resize(ref _buffer, _buffer.Length * 2);
        }

        while (_end < _buffer.Length)
        {
            var read = await stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken);
            if (read == 0)
            {
                _final = true;
                return;
            }

            _end += read;
        }
    }
}
