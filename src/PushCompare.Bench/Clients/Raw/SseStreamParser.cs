using System.Buffers;
using System.Buffers.Text;

namespace PushCompare.Bench.Clients.Raw;

/// <summary>One dispatched event; its spans are valid only during the <see cref="SseEventHandler"/> call.</summary>
internal readonly ref struct SseEvent(ReadOnlySpan<byte> type, ReadOnlySpan<byte> data, ReadOnlySpan<byte> lastEventId, bool hasId)
{
    /// <summary>The <c>event:</c> field; empty when absent (the default type, "message").</summary>
    public ReadOnlySpan<byte> Type { get; } = type;

    /// <summary>The <c>data:</c> lines joined with LF (the message text, as EventSource's <c>e.data</c>).</summary>
    public ReadOnlySpan<byte> Data { get; } = data;

    /// <summary>The stream's last event id (EventSource's <c>e.lastEventId</c>): set by this event's <c>id:</c> or kept from before.</summary>
    public ReadOnlySpan<byte> LastEventId { get; } = lastEventId;

    /// <summary>Whether this event itself carried an <c>id:</c> field.</summary>
    public bool HasId { get; } = hasId;

    /// <summary>What <c>onmessage</c> receives: the default type or an explicit "message".</summary>
    public bool IsMessage => Type.IsEmpty || Type.SequenceEqual("message"u8);
}

internal delegate void SseEventHandler(SseEvent e);

/// <summary>
/// Where every body byte of a stream went, exactly: chunk framing (size lines, CRLFs, the last chunk), message
/// events split into payload (the data) and framing (field names, "id: N", line ends, the blank line), other events
/// (heartbeats, comments, retry-only blocks), and bytes of an event still incomplete.
/// </summary>
public readonly record struct SseByteCounts(long ChunkFramingBytes, long MessageEvents, long PayloadBytes, long MessageFramingBytes,
    long OtherEvents, long OtherEventBytes, long PendingBytes)
{
    public long Total => ChunkFramingBytes + PayloadBytes + MessageFramingBytes + OtherEventBytes + PendingBytes;

    public static SseByteCounts operator +(SseByteCounts a, SseByteCounts b) => new(a.ChunkFramingBytes + b.ChunkFramingBytes,
        a.MessageEvents + b.MessageEvents, a.PayloadBytes + b.PayloadBytes, a.MessageFramingBytes + b.MessageFramingBytes,
        a.OtherEvents + b.OtherEvents, a.OtherEventBytes + b.OtherEventBytes, a.PendingBytes + b.PendingBytes);
}

/// <summary>
/// Reads the body of a <c>text/event-stream</c> response as it arrives: HTTP/1.1 chunked transfer-encoding (RFC 9112
/// §7.1), then the event stream (HTML Living Standard, "Interpreting an event stream": lines end with CRLF, LF or CR;
/// fields <c>data</c>, <c>event</c>, <c>id</c>, <c>retry</c>; <c>:</c> comments; a blank line dispatches). Bytes may
/// be split anywhere, by reads or by chunks: a field, a line end or a chunk-size line cut in two is carried over.
/// No allocation per event: fields are copied into pooled buffers and handed over as spans. Not thread-safe.
/// </summary>
/// <remarks>
/// With <c>chunked: false</c> the body arrives already unframed (HTTP/2 DATA frames, which the HTTP client removes):
/// every byte goes to the event stream, and the response ends when the caller says so (<see cref="EndOfBody"/>).
/// </remarks>
internal sealed class SseStreamParser(SseEventHandler onEvent, bool chunked = true) : IDisposable
{
    private const int MaxField = 1 << 20; // larger than any message the server accepts (64 KB), so only garbage hits it
    private const int MaxChunkSizeDigits = 7;

    private enum Chunk { Size, SizeExtension, SizeLf, Data, DataCr, DataLf, Trailer, TrailerLf, Done }

    private Chunk _chunk = chunked ? Chunk.Size : Chunk.Data;
    private int _sizeDigits;
    private long _chunkLeft = chunked ? 0 : long.MaxValue;
    private int _trailerLine;

    private byte[] _line = [];
    private int _lineLength;
    private bool _skipLf;         // the previous line ended with CR: an LF right after it belongs to that line end
    private bool _skipLfIsBlank;  // ... and that line was the blank one that closed an event block

    private byte[] _data = [];
    private int _dataLength;
    private bool _hasData;
    private byte[] _type = [];
    private int _typeLength;
    private byte[] _id = [];
    private int _idLength;
    private bool _blockHasId;
    private long _blockBytes;
    private bool _lastBlockWasMessage;

    private long _chunkFraming, _messages, _payload, _messageFraming, _others, _otherBytes;

    /// <summary>The last chunk and its trailers have arrived (or, unframed, <see cref="EndOfBody"/>): the response is complete.</summary>
    public bool Ended => _chunk == Chunk.Done;

    /// <summary>An unframed body ended cleanly (HTTP/2: END_STREAM); the chunked form ends by its last chunk instead.</summary>
    public void EndOfBody()
    {
        if (chunked) throw new InvalidOperationException("a chunked body ends with its last chunk");
        _chunk = Chunk.Done;
    }

    /// <summary>The reconnection time the stream announced with <c>retry:</c>, if any.</summary>
    public long? RetryMs { get; private set; }

    /// <summary>Body bytes fed so far.</summary>
    public long Fed { get; private set; }

    public SseByteCounts Counts => new(_chunkFraming, _messages, _payload, _messageFraming, _others, _otherBytes, _blockBytes);

    /// <summary>Takes the next body bytes (after the response head); throws <see cref="InvalidDataException"/> on a broken stream.</summary>
    public void Feed(ReadOnlySpan<byte> bytes)
    {
        Fed += bytes.Length;
        while (!bytes.IsEmpty)
        {
            switch (_chunk)
            {
                case Chunk.Size:
                {
                    byte b = Framing(ref bytes);
                    int digit = HexValue(b);
                    if (digit >= 0)
                    {
                        if (++_sizeDigits > MaxChunkSizeDigits) throw new InvalidDataException("a chunk size is not a hex number below 256 MB");
                        _chunkLeft = _chunkLeft * 16 + digit;
                    }
                    else if (_sizeDigits == 0) throw new InvalidDataException("a chunk does not start with its size");
                    else if (b == (byte)'\r') _chunk = Chunk.SizeLf;
                    else if (b is (byte)';' or (byte)' ' or (byte)'\t') _chunk = Chunk.SizeExtension;
                    else throw new InvalidDataException("a chunk size is not a hex number");
                    break;
                }
                case Chunk.SizeExtension:
                {
                    // A chunk extension (";name=value") is framing; nothing uses it.
                    int cr = bytes.IndexOf((byte)'\r');
                    int take = cr < 0 ? bytes.Length : cr + 1;
                    _chunkFraming += take;
                    bytes = bytes[take..];
                    if (cr >= 0) _chunk = Chunk.SizeLf;
                    break;
                }
                case Chunk.SizeLf:
                    Expect(Framing(ref bytes), (byte)'\n', "a chunk-size line does not end with CRLF");
                    _sizeDigits = 0;
                    _chunk = _chunkLeft == 0 ? Chunk.Trailer : Chunk.Data;
                    break;
                case Chunk.Data:
                {
                    int take = (int)Math.Min(_chunkLeft, bytes.Length);
                    Events(bytes[..take]);
                    bytes = bytes[take..];
                    _chunkLeft -= take;
                    if (_chunkLeft == 0) _chunk = Chunk.DataCr;
                    break;
                }
                case Chunk.DataCr:
                    Expect(Framing(ref bytes), (byte)'\r', "a chunk does not end with CRLF");
                    _chunk = Chunk.DataLf;
                    break;
                case Chunk.DataLf:
                    Expect(Framing(ref bytes), (byte)'\n', "a chunk does not end with CRLF");
                    _chunk = Chunk.Size;
                    break;
                case Chunk.Trailer:
                {
                    // Trailer fields (none from Kestrel) until an empty line; all framing.
                    byte b = Framing(ref bytes);
                    if (b == (byte)'\r') _chunk = Chunk.TrailerLf;
                    else _trailerLine++;
                    break;
                }
                case Chunk.TrailerLf:
                    Expect(Framing(ref bytes), (byte)'\n', "a trailer line does not end with CRLF");
                    _chunk = _trailerLine == 0 ? Chunk.Done : Chunk.Trailer;
                    _trailerLine = 0;
                    break;
                case Chunk.Done:
                    throw new InvalidDataException("bytes arrived after the stream's last chunk");
            }
        }
    }

    private byte Framing(ref ReadOnlySpan<byte> bytes)
    {
        byte b = bytes[0];
        bytes = bytes[1..];
        _chunkFraming++;
        return b;
    }

    private static void Expect(byte actual, byte expected, string problem)
    {
        if (actual != expected) throw new InvalidDataException(problem);
    }

    private static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };

    /// <summary>The de-chunked event stream: split into lines, each processed whole (from the input, or from the carry-over buffer).</summary>
    private void Events(ReadOnlySpan<byte> text)
    {
        while (!text.IsEmpty)
        {
            if (_skipLf)
            {
                _skipLf = false;
                if (text[0] == (byte)'\n')
                {
                    // The LF of a CRLF whose CR came in an earlier read or chunk: it belongs to that line's block.
                    if (!_skipLfIsBlank) _blockBytes++;
                    else if (_lastBlockWasMessage) _messageFraming++;
                    else _otherBytes++;
                    text = text[1..];
                    continue;
                }
            }
            int end = text.IndexOfAny((byte)'\r', (byte)'\n');
            if (end < 0)
            {
                Carry(text);
                _blockBytes += text.Length;
                return;
            }
            _blockBytes += end + 1;
            bool cr = text[end] == (byte)'\r';
            bool crlf = cr && end + 1 < text.Length && text[end + 1] == (byte)'\n';
            if (crlf) _blockBytes++;
            bool blank;
            if (_lineLength > 0)
            {
                Carry(text[..end]);
                blank = false;
                Line(_line.AsSpan(0, _lineLength));
                _lineLength = 0;
            }
            else
            {
                blank = end == 0;
                Line(text[..end]);
            }
            text = text[(end + (crlf ? 2 : 1))..];
            if (cr && !crlf)
            {
                // A CR at the end of this input: an LF may follow in the next one.
                _skipLf = true;
                _skipLfIsBlank = blank;
            }
        }
    }

    private void Carry(ReadOnlySpan<byte> part) => Append(ref _line, ref _lineLength, part, "an event-stream line");

    private void Line(ReadOnlySpan<byte> line)
    {
        if (line.IsEmpty)
        {
            Dispatch();
            return;
        }
        if (line[0] == (byte)':') return; // a comment
        int colon = line.IndexOf((byte)':');
        var name = colon < 0 ? line : line[..colon];
        ReadOnlySpan<byte> value = colon < 0 ? default : line[(colon + 1)..];
        if (!value.IsEmpty && value[0] == (byte)' ') value = value[1..];
        if (name.SequenceEqual("data"u8))
        {
            Append(ref _data, ref _dataLength, value, "an event's data");
            Append(ref _data, ref _dataLength, "\n"u8, "an event's data");
            _hasData = true;
        }
        else if (name.SequenceEqual("id"u8))
        {
            if (value.Contains((byte)0)) return; // the standard ignores an id with NUL
            _idLength = 0;
            Append(ref _id, ref _idLength, value, "an event id");
            _blockHasId = true;
        }
        else if (name.SequenceEqual("event"u8))
        {
            _typeLength = 0;
            Append(ref _type, ref _typeLength, value, "an event type");
        }
        else if (name.SequenceEqual("retry"u8))
        {
            if (!value.IsEmpty && !value.ContainsAnyExceptInRange((byte)'0', (byte)'9') &&
                Utf8Parser.TryParse(value, out long ms, out int used) && used == value.Length)
            {
                RetryMs = ms;
            }
        }
        // Any other field is ignored, as the standard says.
    }

    /// <summary>A blank line: the block becomes an event when it had data; its bytes are classified either way.</summary>
    private void Dispatch()
    {
        bool message = false;
        if (_hasData)
        {
            var data = _data.AsSpan(0, _dataLength - 1); // without the LF after the last data line
            var e = new SseEvent(_type.AsSpan(0, _typeLength), data, _id.AsSpan(0, _idLength), _blockHasId);
            message = e.IsMessage;
            if (message)
            {
                _messages++;
                _payload += data.Length;
                _messageFraming += _blockBytes - data.Length;
            }
            else
            {
                _others++;
                _otherBytes += _blockBytes;
            }
            onEvent(e);
        }
        else
        {
            _otherBytes += _blockBytes; // a comment, a retry or an id without data: no event, as in EventSource
        }
        _lastBlockWasMessage = message;
        _blockBytes = 0;
        _dataLength = 0;
        _hasData = false;
        _typeLength = 0;
        _blockHasId = false;
    }

    private static void Append(ref byte[] buffer, ref int length, ReadOnlySpan<byte> bytes, string what)
    {
        if (length + bytes.Length > buffer.Length)
        {
            if (length + bytes.Length > MaxField) throw new InvalidDataException($"{what} is longer than {MaxField} bytes");
            byte[] larger = ArrayPool<byte>.Shared.Rent(Math.Max(64, (length + bytes.Length) * 2));
            buffer.AsSpan(0, length).CopyTo(larger);
            if (buffer.Length > 0) ArrayPool<byte>.Shared.Return(buffer);
            buffer = larger;
        }
        bytes.CopyTo(buffer.AsSpan(length));
        length += bytes.Length;
    }

    public void Dispose()
    {
        foreach (var buffer in new[] { _line, _data, _type, _id })
        {
            if (buffer.Length > 0) ArrayPool<byte>.Shared.Return(buffer);
        }
        _line = _data = _type = _id = [];
    }
}
