using System.Diagnostics;
using System.Text;

namespace PushCompare.Web.Metering;

/// <summary>
/// Where the bytes of one HTTP request go while it is served: its transport, its session once known, and its own
/// totals. After a WebSocket upgrade it stays in place for the rest of the connection. Reads and writes each come
/// from one flow at a time (HTTP/1.1 is sequential; Kestrel serializes writes), so its own totals are plain fields.
/// </summary>
internal sealed class RequestMeter(WireMeter meter, TransportMeter transport, SessionMeter? session)
{
    private string[]? _batch;     // a poll batch handed to the response, recorded when its first byte is written
    private long[]? _batchQueuedAt;

    public TransportMeter Transport { get; } = transport;
    public SessionMeter? Session { get; private set; } = session;

    /// <summary>Bytes consumed and written while this request was served (inbound includes its head).</summary>
    public long In { get; private set; }
    public long Out { get; private set; }

    /// <summary>Inbound bytes that were already consumed when the request began: its request line and headers.</summary>
    public long Head { get; set; }

    public void AddIn(long bytes)
    {
        In += bytes;
        Add(Figure.BytesIn, bytes);
    }

    public void AddOut(long bytes)
    {
        Out += bytes;
        Add(Figure.BytesOut, bytes);
        if (_batch is not null) RecordBatch();
    }

    public void AddFrames(in FrameCounts counts, bool inbound)
    {
        if (counts.HeaderBytes == 0) return;
        Add(inbound ? Figure.FramesIn : Figure.FramesOut, counts.Frames);
        Add(inbound ? Figure.ControlFramesIn : Figure.ControlFramesOut, counts.ControlFrames);
        Add(inbound ? Figure.FrameHeaderBytesIn : Figure.FrameHeaderBytesOut, counts.HeaderBytes);
    }

    /// <summary>Attaches a session learned late (from a 201's Location or a 101) and gives it what this request already moved.</summary>
    public void BindSession(SessionMeter session)
    {
        if (Session is not null) return;
        session.Counters.Increment(Figure.Requests);
        session.Counters.Add(Figure.BytesIn, In);
        session.Counters.Add(Figure.BytesOut, Out);
        Session = session;
    }

    /// <summary>A message arrived from the client; returns the Stopwatch timestamp its reply is created at.</summary>
    public long MessageIn(long payloadBytes)
    {
        long now = Stopwatch.GetTimestamp();
        Add(Figure.MessagesIn, 1);
        Add(Figure.PayloadBytesIn, payloadBytes);
        return now;
    }

    /// <summary>A message was handed to the transport; <paramref name="createdAt"/> 0 means its creation time is unknown.</summary>
    public void MessageOut(long payloadBytes, long createdAt)
    {
        Add(Figure.MessagesOut, 1);
        Add(Figure.PayloadBytesOut, payloadBytes);
        if (createdAt > 0) meter.RecordLatency(Transport, Session, Stopwatch.GetElapsedTime(createdAt));
    }

    /// <summary>
    /// A poll answers with this batch; it counts as delivered when the response's first byte is written.
    /// <paramref name="firstQueuedAt"/>: per message, when it was queued if this is its first delivery, else 0 (a resend).
    /// </summary>
    public void Delivering(string[] messages, long[] firstQueuedAt)
    {
        _batch = messages;
        _batchQueuedAt = firstQueuedAt;
    }

    private void RecordBatch()
    {
        var (messages, queuedAt) = (_batch!, _batchQueuedAt!);
        _batch = null;
        _batchQueuedAt = null;
        for (int i = 0; i < messages.Length; i++)
        {
            if (queuedAt[i] == 0) Add(Figure.MessagesResent, 1);
            else MessageOut(Encoding.UTF8.GetByteCount(messages[i]), queuedAt[i]);
        }
    }

    private void Add(Figure figure, long amount)
    {
        Transport.Counters.Add(figure, amount);
        Session?.Counters.Add(figure, amount);
    }
}
