namespace PushCompare.Metering;

/// <summary>The 9-byte header of an HTTP/2 frame (RFC 9113 §4.1).</summary>
internal readonly record struct Http2FrameHeader(int Length, byte Type, byte Flags, int StreamId)
{
    public const int Size = 9;
    public const byte Data = 0x0, Headers = 0x1, RstStream = 0x3, PushPromise = 0x5, Continuation = 0x9;
    public const byte EndStream = 0x1, Padded = 0x8;

    /// <summary>The frame ends its sender's side of the stream: END_STREAM on DATA or HEADERS, or RST_STREAM.</summary>
    public bool EndsStream => Type == RstStream || (Type is Data or Headers && (Flags & EndStream) != 0);
}

/// <summary>What an <see cref="Http2FrameScanner"/> reports, in wire order.</summary>
internal interface IHttp2FrameSink
{
    /// <summary>A frame header is complete; its 9 bytes are reported by the <see cref="Bytes"/> call that follows.</summary>
    void Frame(in Http2FrameHeader header);

    /// <summary><paramref name="count"/> bytes that belong to stream <paramref name="streamId"/> (0: the connection, and the client preface).</summary>
    void Bytes(int streamId, int count);

    /// <summary>Application bytes of a DATA frame (without its pad length and padding), after their <see cref="Bytes"/> call.</summary>
    void Data(int streamId, ReadOnlySpan<byte> data);
}

/// <summary>
/// A passive, read-only HTTP/2 frame-header reader for one direction of a connection (above TLS), like the WebSocket
/// scanner: it walks the 9-byte frame headers (length, type, flags, stream id), skips payloads and reports which
/// stream every byte belongs to, in chunks of any size. The client's direction starts with the 24-byte connection
/// preface (RFC 9113 §3.4), which belongs to the connection. It never checks frames (Kestrel does).
/// </summary>
internal struct Http2FrameScanner(bool clientPreface)
{
    public const int PrefaceLength = 24; // "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

    private int _prefaceLeft = clientPreface ? PrefaceLength : 0;
    private int _headerSeen;
    private int _length, _streamId;
    private byte _type, _flags;
    private int _payloadSeen; // payload bytes of the current frame seen so far
    private int _padLength;   // of a PADDED DATA frame, once its first payload byte is seen

    public void Scan<TSink>(ReadOnlySpan<byte> data, TSink sink) where TSink : IHttp2FrameSink
    {
        if (_prefaceLeft > 0 && !data.IsEmpty)
        {
            int n = Math.Min(_prefaceLeft, data.Length);
            _prefaceLeft -= n;
            sink.Bytes(0, n);
            data = data[n..];
        }
        while (!data.IsEmpty)
        {
            if (_headerSeen < Http2FrameHeader.Size)
            {
                HeaderByte(data[0], sink);
                data = data[1..];
                continue;
            }
            int take = Math.Min(_length - _payloadSeen, data.Length);
            Payload(data[..take], sink);
            data = data[take..];
        }
    }

    private void HeaderByte<TSink>(byte b, TSink sink) where TSink : IHttp2FrameSink
    {
        switch (_headerSeen++)
        {
            case 0: _length = b << 16; break;
            case 1: _length |= b << 8; break;
            case 2: _length |= b; break;
            case 3: _type = b; break;
            case 4: _flags = b; break;
            case 5: _streamId = (b & 0x7F) << 24; break; // the reserved bit is ignored (§4.1)
            case 6: _streamId |= b << 16; break;
            case 7: _streamId |= b << 8; break;
            case 8:
                _streamId |= b;
                _payloadSeen = 0;
                _padLength = 0;
                sink.Frame(new Http2FrameHeader(_length, _type, _flags, _streamId));
                sink.Bytes(_streamId, Http2FrameHeader.Size);
                if (_length == 0) _headerSeen = 0;
                break;
        }
    }

    private void Payload<TSink>(ReadOnlySpan<byte> chunk, TSink sink) where TSink : IHttp2FrameSink
    {
        int start = _payloadSeen;
        _payloadSeen += chunk.Length;
        sink.Bytes(_streamId, chunk.Length);
        if (_type == Http2FrameHeader.Data)
        {
            bool padded = (_flags & Http2FrameHeader.Padded) != 0;
            if (padded && start == 0) _padLength = chunk[0];
            int dataStart = padded ? 1 : 0, dataEnd = Math.Max(dataStart, _length - _padLength);
            int from = Math.Max(start, dataStart), to = Math.Min(_payloadSeen, dataEnd);
            if (to > from) sink.Data(_streamId, chunk[(from - start)..(to - start)]);
        }
        if (_payloadSeen == _length) _headerSeen = 0;
    }
}
