using System.Buffers.Binary;

namespace PushCompare.Bench.Metrics;

/// <summary>
/// Classifies the bytes of one direction of a WebSocket connection by RFC 6455 §5.2 frame headers: data-frame
/// headers, data payload, and control frames (ping/pong/close). It reads only headers and skips payloads, so a
/// report can say "payload + 2 B per message" exactly even when keep-alive pings share the connection.
/// Created with <c>afterHttpHead</c>, it first counts the HTTP upgrade head up to its blank line: the split between
/// handshake and frames is found in the bytes themselves, wherever the reads happen to end (a frame sent right
/// after the 101 response often arrives in the same read).
/// </summary>
internal sealed class FrameMeter(bool afterHttpHead = false)
{
    private static ReadOnlySpan<byte> EndOfHead => "\r\n\r\n"u8;
    private int _endOfHeadMatched = afterHttpHead ? 0 : EndOfHead.Length;
    private readonly byte[] _header = new byte[14];
    private int _headerLength;
    private int _headerNeeded = 2;
    private long _payloadLeft;
    private bool _control;
    private bool _close;

    public long DataMessages;    // data frames with FIN set
    public long DataFrames;
    public long DataHeaderBytes;
    public long DataPayloadBytes;
    public long ControlFrames;
    public long ControlBytes;    // ping and pong frames, headers and payloads together
    public long CloseBytes;      // the close frame (once per connection, so not per-message overhead)
    public long HeadBytes;       // the HTTP upgrade request or response, blank line included

    /// <summary>False while the HTTP head is still arriving; frames are counted only after it.</summary>
    public bool HeadComplete => _endOfHeadMatched == EndOfHead.Length;

    /// <summary>True when a header made no sense (RSV2/RSV3, RSV1 off a message's first frame, or an unknown opcode): the counts stop there.</summary>
    public bool LostSync { get; private set; }

    public void Feed(ReadOnlySpan<byte> data)
    {
        if (!HeadComplete) data = FeedHead(data);
        while (!data.IsEmpty && !LostSync)
        {
            if (_payloadLeft > 0)
            {
                int take = (int)Math.Min(_payloadLeft, data.Length);
                _payloadLeft -= take;
                if (_close) CloseBytes += take;
                else if (_control) ControlBytes += take;
                else DataPayloadBytes += take;
                data = data[take..];
                continue;
            }

            _header[_headerLength++] = data[0];
            data = data[1..];
            if (_headerLength == 2)
            {
                int opcode = _header[0] & 0x0F;
                // RSV1 is permessage-deflate's "compressed" bit (RFC 7692 §6), allowed on a message's first frame only.
                bool rsv1 = (_header[0] & 0x40) != 0;
                if ((_header[0] & 0x30) != 0 || (rsv1 && opcode is not (1 or 2)) || opcode is not (0 or 1 or 2 or 8 or 9 or 10))
                {
                    LostSync = true;
                    return;
                }
                int length7 = _header[1] & 0x7F;
                _headerNeeded = 2 + (length7 == 126 ? 2 : length7 == 127 ? 8 : 0) + ((_header[1] & 0x80) != 0 ? 4 : 0);
            }
            if (_headerLength < _headerNeeded) continue;
            CompleteHeader();
        }
    }

    /// <summary>Counts head bytes up to and including "\r\n\r\n" (also when split over reads); returns what follows it.</summary>
    private ReadOnlySpan<byte> FeedHead(ReadOnlySpan<byte> data)
    {
        int i = 0;
        while (i < data.Length && !HeadComplete)
        {
            byte b = data[i++];
            // After a mismatch only a CR can start the terminator again ("\r\n\r" then "\r" leaves one CR matched).
            _endOfHeadMatched = b == EndOfHead[_endOfHeadMatched] ? _endOfHeadMatched + 1 : b == (byte)'\r' ? 1 : 0;
        }
        HeadBytes += i;
        return data[i..];
    }

    private void CompleteHeader()
    {
        int length7 = _header[1] & 0x7F;
        _payloadLeft = length7 switch
        {
            126 => BinaryPrimitives.ReadUInt16BigEndian(_header.AsSpan(2)),
            127 => (long)BinaryPrimitives.ReadUInt64BigEndian(_header.AsSpan(2)),
            _ => length7,
        };
        _control = (_header[0] & 0x08) != 0;
        _close = (_header[0] & 0x0F) == 8;
        if (_close)
        {
            CloseBytes += _headerNeeded;
        }
        else if (_control)
        {
            ControlFrames++;
            ControlBytes += _headerNeeded;
        }
        else
        {
            DataFrames++;
            DataHeaderBytes += _headerNeeded;
            if ((_header[0] & 0x80) != 0) DataMessages++;
        }
        _headerLength = 0;
        _headerNeeded = 2;
    }

    public FrameCounts Counts => new(DataMessages, DataFrames, DataHeaderBytes, DataPayloadBytes, ControlFrames, ControlBytes, CloseBytes, LostSync);
}

/// <summary>A copy of a <see cref="FrameMeter"/>'s counters, addable across connections.</summary>
public readonly record struct FrameCounts(long DataMessages, long DataFrames, long DataHeaderBytes, long DataPayloadBytes,
    long ControlFrames, long ControlBytes, long CloseBytes, bool LostSync)
{
    public long TotalBytes => DataHeaderBytes + DataPayloadBytes + ControlBytes + CloseBytes;

    public static FrameCounts operator +(FrameCounts a, FrameCounts b) => new(a.DataMessages + b.DataMessages, a.DataFrames + b.DataFrames,
        a.DataHeaderBytes + b.DataHeaderBytes, a.DataPayloadBytes + b.DataPayloadBytes, a.ControlFrames + b.ControlFrames,
        a.ControlBytes + b.ControlBytes, a.CloseBytes + b.CloseBytes, a.LostSync || b.LostSync);
}
