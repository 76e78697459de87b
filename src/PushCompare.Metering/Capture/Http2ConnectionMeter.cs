using System.Buffers;

namespace PushCompare.Metering;

/// <summary>
/// The HTTP layer of an HTTP/2 connection (over TLS): scans the frames both ways (<see cref="Http2FrameScanner"/>) and
/// attributes each frame, header and payload, to its stream's request — HEADERS, CONTINUATION, DATA, RST_STREAM,
/// PRIORITY, WINDOW_UPDATE, PUSH_PROMISE alike — and stream-0 frames (the client preface, SETTINGS, PING, GOAWAY, the
/// connection's WINDOW_UPDATE) to the connection's own figure. A stream's bytes that come before its request is bound
/// (its opening HEADERS, at least: Kestrel parses them before the request starts) are held for it, as the HTTP/1.1
/// meter holds a pending head. A stream is forgotten once its request ended and both sides ended it; frames that still
/// come for it (a late WINDOW_UPDATE, a RST_STREAM) count to the connection. On an RFC 8441 CONNECT stream of a
/// transport with RFC 6455 framing the DATA payload is scanned for WebSocket frames too: both layers are counted.
/// </summary>
internal sealed class Http2ConnectionMeter(WireMeter meter, TlsRecordMeter tls) : HttpLayerMeter(meter), IByteTap
{
    private readonly Lock _lock = new(); // bytes come from Kestrel's read loop and its writer, bindings from requests
    private readonly Dictionary<int, Stream> _streams = [];
    private readonly OtherRecords _other = new(meter.Other);
    private Http2FrameScanner _inScan = new(clientPreface: true), _outScan = new(clientPreface: false);
    private Stream? _inFrame, _outFrame; // the stream of the frame being scanned; null: the connection's
    private int _highestStream;          // streams are opened in increasing order (§5.1.1)
    private bool _outUnseen;

    public void OnConsumed(in ReadOnlySequence<byte> consumed)
    {
        lock (_lock)
        {
            var sink = new Sink(this, inbound: true);
            foreach (var segment in consumed) _inScan.Scan(segment.Span, sink);
        }
    }

    public void OnWritten(ReadOnlySpan<byte> written)
    {
        lock (_lock)
        {
            if (_outUnseen) ConnectionBytes(false, written.Length);
            else _outScan.Scan(written, new Sink(this, inbound: false));
        }
    }

    public void OnWritten(int count)
    {
        lock (_lock)
        {
            _outUnseen = true; // frame boundaries are lost: from now on the connection's
            ConnectionBytes(false, count);
        }
    }

    /// <summary>The request of stream <paramref name="streamId"/> started: its held bytes, and all later ones, are its.</summary>
    public void Begin(int streamId, RequestMeter request, bool extendedConnect)
    {
        lock (_lock)
        {
            if (!_streams.TryGetValue(streamId, out var stream))
            {
                stream = new Stream();
                if (streamId > _highestStream) _highestStream = streamId;
                _streams[streamId] = stream;
            }
            stream.Request = request;
            stream.ExtendedConnect = extendedConnect;
            if (stream.HeldIn > 0) request.AddIn(stream.HeldIn);
            if (stream.HeldRecordIn > 0) request.AddRecordBytes(stream.HeldRecordIn, inbound: true);
            stream.HeldIn = stream.HeldRecordIn = 0;
        }
    }

    /// <summary>The response is complete (Response.OnCompleted); frames Kestrel still writes for it stay the request's.</summary>
    public void End(int streamId, RequestMeter request)
    {
        request.Complete();
        lock (_lock)
        {
            if (!_streams.TryGetValue(streamId, out var stream) || !ReferenceEquals(stream.Request, request)) return;
            stream.RequestEnded = true;
            Forget(streamId, stream);
        }
    }

    public void Close()
    {
        lock (_lock)
        {
            foreach (var stream in _streams.Values)
            {
                // A stream no request was ever bound to (refused, reset before it started): "other".
                if (stream.HeldIn > 0) Meter.Other.Counters.Add(Figure.BytesIn, stream.HeldIn);
                if (stream.HeldRecordIn > 0) _other.AddRecordBytes(stream.HeldRecordIn, inbound: true);
            }
            _streams.Clear();
        }
        ConnectionClosed();
    }

    protected override void OnClaimed(TransportMeter transport) => tls.Overhead.Claimed(transport);

    private void Frame(bool inbound, in Http2FrameHeader header)
    {
        Stream? stream = null;
        if (header.StreamId != 0 && !_streams.TryGetValue(header.StreamId, out stream) && inbound && header.StreamId > _highestStream)
        {
            stream = new Stream(); // a new stream: its frames are held until its request begins
            _highestStream = header.StreamId;
            _streams[header.StreamId] = stream;
        }
        if (inbound) _inFrame = stream;
        else _outFrame = stream;
        if (stream is null || !header.EndsStream) return;
        if (inbound) stream.InEnded = true;
        else stream.OutEnded = true;
        Forget(header.StreamId, stream); // the stream stays the current frame's until the frame's bytes are counted
    }

    private void Bytes(bool inbound, int streamId, int count)
    {
        var stream = streamId == 0 ? null : inbound ? _inFrame : _outFrame;
        if (stream is null)
        {
            ConnectionBytes(inbound, count);
            return;
        }
        var request = stream.Request;
        if (inbound)
        {
            long overhead = tls.TakeIn(count);
            if (request is null)
            {
                stream.HeldIn += count;
                stream.HeldRecordIn += overhead;
                return;
            }
            request.AddIn(count);
            request.AddRecordBytes(overhead, inbound: true);
        }
        else if (request is null)
        {
            Meter.Other.Counters.Add(Figure.BytesOut, count); // Kestrel answered a stream no request was bound to
            tls.LogOut(_other, count);
        }
        else
        {
            request.AddOut(count);
            tls.LogOut(request, count);
        }
    }

    private void Data(bool inbound, ReadOnlySpan<byte> data)
    {
        var stream = inbound ? _inFrame : _outFrame;
        if (stream?.Request is not { } request || !stream.ExtendedConnect || request.Transport.Descriptor.Framing != WireFraming.Rfc6455) return;
        var counts = default(FrameCounts);
        if (inbound) stream.WebSocketIn.Scan(data, ref counts);
        else stream.WebSocketOut.Scan(data, ref counts);
        request.AddFrames(counts, inbound);
    }

    private void ConnectionBytes(bool inbound, int count)
    {
        if (inbound)
        {
            tls.Overhead.Add(ConnectionFigure.Http2ConnectionBytesIn, count);
            tls.Overhead.AddRecordBytes(tls.TakeIn(count), inbound: true);
        }
        else
        {
            tls.Overhead.Add(ConnectionFigure.Http2ConnectionBytesOut, count);
            tls.LogOut(tls.Overhead, count);
        }
    }

    private void Forget(int streamId, Stream stream)
    {
        if (stream.RequestEnded && stream.InEnded && stream.OutEnded) _streams.Remove(streamId);
    }

    private readonly struct Sink(Http2ConnectionMeter meter, bool inbound) : IHttp2FrameSink
    {
        public void Frame(in Http2FrameHeader header) => meter.Frame(inbound, header);

        public void Bytes(int streamId, int count) => meter.Bytes(inbound, streamId, count);

        public void Data(int streamId, ReadOnlySpan<byte> data) => meter.Data(inbound, data);
    }

    private sealed class Stream
    {
        public RequestMeter? Request;
        public long HeldIn, HeldRecordIn;
        public bool ExtendedConnect, RequestEnded, InEnded, OutEnded;
        public WebSocketFrameScanner WebSocketIn, WebSocketOut;
    }
}

/// <summary>Record overhead of bytes that count as "other" (a stray response no request was bound to).</summary>
internal sealed class OtherRecords(TransportMeter other) : IRecordOwner
{
    public void AddRecordBytes(long bytes, bool inbound) =>
        other.Counters.Add(inbound ? Figure.TlsRecordBytesIn : Figure.TlsRecordBytesOut, bytes);
}
