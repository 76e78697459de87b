using System.Diagnostics;
using System.Text;

namespace PushCompare.Web.Metering;

/// <summary>
/// Where the bytes of one HTTP request go while it is served: its transport and session once a transport claims it
/// (<see cref="IRequestMetering"/>), and its own totals. Bytes moved before the claim are held and move with it; a
/// request nobody claims counts as "other" when it ends. After an upgrade it stays in place for the rest of the
/// connection. Reads and writes each come from one flow at a time (HTTP/1.1 is sequential; Kestrel serializes
/// writes), so its own totals are plain fields; only the claim can race them, and only until it is made.
/// </summary>
internal sealed class RequestMeter(WireMeter meter, ConnectionMeter connection, string connectionId) : IRequestMetering
{
    private readonly Lock _claim = new();
    private volatile TransportMeter? _transport;
    private long _heldIn, _heldOut; // moved before the claim, under _claim
    private string[]? _batch;       // a batch of messages handed to the response, recorded when its first byte is written
    private long[]? _batchQueuedAt;

    /// <summary>The claiming transport's figures, or "other" while nobody has claimed the request.</summary>
    public TransportMeter Transport => _transport ?? meter.Other;
    public SessionMeter? Session { get; private set; }
    public bool IsClaimed => _transport is not null;

    /// <summary>Bytes consumed and written while this request was served (inbound includes its head).</summary>
    public long In { get; private set; }
    public long Out { get; private set; }

    /// <summary>Inbound bytes that were already consumed when the request began: its request line and headers.</summary>
    public long Head { get; set; }

    public void AddIn(long bytes)
    {
        In += bytes;
        if (_transport is null && Hold(ref _heldIn, bytes)) return;
        Add(Figure.BytesIn, bytes);
    }

    public void AddOut(long bytes)
    {
        Out += bytes;
        if (_transport is null && Hold(ref _heldOut, bytes)) return;
        Add(Figure.BytesOut, bytes);
        if (_batch is not null) RecordBatch();
    }

    // True when the bytes were held for a claim still to come; false when a claim landed meanwhile (count them directly).
    private bool Hold(ref long held, long bytes)
    {
        lock (_claim)
        {
            if (_transport is not null) return false;
            held += bytes;
            return true;
        }
    }

    public void Attribute(TransportDescriptor? transport, string? sessionKey)
    {
        var session = sessionKey is null ? null : meter.FindSession(sessionKey);
        if (transport is null)
        {
            if (session is null) return; // nobody can place it: it stays "other"
            transport = session.Transport;
        }
        else if (session is not null && !ReferenceEquals(session.Transport, transport))
        {
            session = null; // a key of another transport's session: its figures stay its own
        }
        Claim(meter.Transport(transport), session);
    }

    public bool TryOpenSession(TransportDescriptor transport, string? key, out IDisposable session)
    {
        key ??= transport.Id + "-" + connectionId;
        if (!meter.TryAddSession(key, transport, out var added))
        {
            Claim(meter.Transport(transport), null); // the refusal is still this transport's traffic
            session = null!;
            return false;
        }
        Claim(meter.Transport(transport), added);
        session = added is null ? NotTracked.Instance : added.Open();
        return true;
    }

    /// <summary>The response starts, or is complete: a request no transport claimed counts as "other".</summary>
    public void Complete()
    {
        if (_transport is null) Claim(meter.Other, null);
    }

    // The first claim wins; it takes the request count and the bytes held until now. A later claim by the same
    // transport may still name the session (an endpoint that claims its requests first and opens the session after).
    private void Claim(TransportMeter transport, SessionMeter? session)
    {
        lock (_claim)
        {
            if (_transport is not null)
            {
                if (session is null || Session is not null || !ReferenceEquals(_transport, transport)) return;
                session.Counters.Increment(Figure.Requests);
                session.Counters.Add(Figure.BytesIn, In);
                session.Counters.Add(Figure.BytesOut, Out);
                Session = session;
                return;
            }
            Session = session;
            transport.Counters.Increment(Figure.Requests);
            transport.Counters.Add(Figure.BytesIn, _heldIn);
            transport.Counters.Add(Figure.BytesOut, _heldOut);
            if (session is not null)
            {
                session.Counters.Increment(Figure.Requests);
                session.Counters.Add(Figure.BytesIn, _heldIn);
                session.Counters.Add(Figure.BytesOut, _heldOut);
            }
            _heldIn = _heldOut = 0;
            _transport = transport;
        }
        connection.ServedBy(transport);
    }

    public void AddFrames(in FrameCounts counts, bool inbound)
    {
        if (counts.HeaderBytes == 0) return;
        Add(inbound ? Figure.FramesIn : Figure.FramesOut, counts.Frames);
        Add(inbound ? Figure.ControlFramesIn : Figure.ControlFramesOut, counts.ControlFrames);
        Add(inbound ? Figure.FrameHeaderBytesIn : Figure.FrameHeaderBytesOut, counts.HeaderBytes);
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
    /// The response carries this batch; it counts as delivered when the response's first byte is written.
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

    private sealed class NotTracked : IDisposable
    {
        public static readonly NotTracked Instance = new();

        public void Dispose()
        {
        }
    }
}
