using System.Buffers;

namespace PushCompare.Metering;

/// <summary>
/// What a scan of wire bytes found: complete frame headers, how many were control frames, header bytes seen, data-frame
/// payload bytes skipped (as on the wire: compressed when the message is), and messages marked compressed (RSV1).
/// </summary>
internal struct FrameCounts
{
    public long Frames;
    public long ControlFrames;
    public long HeaderBytes;
    public long DataPayloadBytes;
    public long CompressedMessages;
}

/// <summary>
/// A passive, read-only RFC 6455 §5.2 frame-header reader for one direction of an upgraded connection. It never
/// produces or validates frames (the framework does that); it only walks headers and skips payloads so frames and
/// header bytes can be counted on the exact bytes that crossed the wire, in chunks of any size.
/// </summary>
internal struct WebSocketFrameScanner
{
    private long _payloadLeft;   // payload bytes of the current frame still to skip
    private int _headerSeen;     // header bytes of the next frame seen so far
    private int _headerLength;   // its full header length, known once the second byte is seen
    private int _extendedBytes;  // extended payload length bytes in that header (0, 2 or 8)
    private byte _first;         // FIN/RSV/opcode byte
    private bool _inData;        // the payload being skipped is a data frame's
    private long _length;        // payload length, assembled from the 7-bit field and the extended bytes

    public void Scan(ReadOnlySpan<byte> data, ref FrameCounts counts)
    {
        while (!data.IsEmpty)
        {
            if (_payloadLeft > 0)
            {
                int skip = (int)Math.Min(_payloadLeft, data.Length);
                _payloadLeft -= skip;
                if (_inData) counts.DataPayloadBytes += skip;
                data = data[skip..];
                continue;
            }
            HeaderByte(data[0], ref counts);
            data = data[1..];
        }
    }

    public void Scan(in ReadOnlySequence<byte> data, ref FrameCounts counts)
    {
        if (data.IsSingleSegment)
        {
            Scan(data.FirstSpan, ref counts);
            return;
        }
        foreach (var segment in data) Scan(segment.Span, ref counts);
    }

    private void HeaderByte(byte b, ref FrameCounts counts)
    {
        counts.HeaderBytes++;
        int index = _headerSeen++;
        if (index == 0)
        {
            _first = b;
            return;
        }
        if (index == 1)
        {
            int lengthField = b & 0x7F;
            _extendedBytes = Rfc6455Framing.ExtendedLengthBytesFor(lengthField);
            _length = _extendedBytes == 0 ? lengthField : 0;
            _headerLength = 2 + _extendedBytes + ((b & 0x80) != 0 ? Rfc6455Framing.MaskKeyLength : 0);
        }
        else if (index < 2 + _extendedBytes)
        {
            _length = (_length << 8) | b; // network byte order (§5.2); the mask key bytes that follow are skipped
        }

        if (_headerSeen == _headerLength)
        {
            counts.Frames++;
            _inData = (_first & 0x08) == 0; // opcodes 0x8–0xF are control frames (§5.5)
            if (!_inData) counts.ControlFrames++;
            // RSV1 on a data frame marks its message compressed (RFC 7692 §6): only the first frame carries it, so this
            // counts messages. The framework refuses RSV1 when nothing was negotiated; the scanner only observes.
            else if ((_first & Rfc6455Framing.Rsv1) != 0) counts.CompressedMessages++;
            _payloadLeft = _length;
            _headerSeen = 0;
        }
    }
}
