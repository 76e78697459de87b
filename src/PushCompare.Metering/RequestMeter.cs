using System.Diagnostics;
using System.Text;

namespace PushCompare.Metering;

/// <summary>
/// Where the bytes of one HTTP request go while it is served: its transport and session once a transport claims it
/// (<see cref="IRequestMetering"/>), and its own totals. Bytes moved before the claim are held and move with it; a
/// request nobody has claimed when its response starts (its first byte is written) counts as "other". After an upgrade
/// it stays in place for the rest of the connection. Reads and writes each come from one flow at a time (HTTP/1.1 is
/// sequential; Kestrel serializes writes; the HTTP/2 meter adds under its lock), so its own totals are plain fields;
/// the claim may race them, so held bytes move with Interlocked exchanges on both sides: each byte is counted exactly
/// once, with no lock to allocate. Over TLS, <see cref="TlsRequestMeter"/> also carries the request's record overhead.
/// </summary>
internal class RequestMeter(WireMeter meter, HttpLayerMeter connection, string connectionId) : IRequestMetering, IRecordOwner
{
    private TransportMeter? _transport; // set once, by the claim (Interlocked)
    private long _heldIn, _heldOut;     // moved before the claim
    private string[]? _batch;           // a batch of messages handed to the response, recorded when its first byte is written
    private long[]? _batchQueuedAt;
    private WireCounters? _sessionPart; // the session's part for the claiming transport, set with Session

    /// <summary>The claiming transport's figures, or "other" while nobody has claimed the request.</summary>
    public TransportMeter Transport => Volatile.Read(ref _transport) ?? meter.Other;
    public SessionMeter? Session { get; private set; }

    /// <summary>Bytes consumed and written while this request was served (inbound includes its head).</summary>
    public long In { get; private set; }
    public long Out { get; private set; }

    /// <summary>Inbound bytes that were already consumed when the request began: its request line and headers.</summary>
    public long Head { get; set; }

    public void AddIn(long bytes)
    {
        In += bytes;
        if (Volatile.Read(ref _transport) is null) Hold(ref _heldIn, Figure.BytesIn, bytes);
        else Add(Figure.BytesIn, bytes);
    }

    public void AddOut(long bytes)
    {
        Out += bytes;
        // Transports claim before they answer: a response that starts unclaimed is "other", counted before the client
        // can see a byte of it (so a figure read right after the answer includes it).
        if (Volatile.Read(ref _transport) is null) Complete();
        Add(Figure.BytesOut, bytes);
        if (_batch is not null) RecordBatch();
    }

    /// <summary>TLS record overhead carried by this request's bytes (nothing on plaintext connections).</summary>
    public virtual void AddRecordBytes(long bytes, bool inbound)
    {
    }

    protected bool IsClaimed => Volatile.Read(ref _transport) is not null;

    // Holds bytes for the claim to move. Each byte stays in `held` until exactly one exchange takes it: the claim's, or
    // this one when the claim landed between the add and the check (its exchange may have run before the add).
    protected void Hold(ref long held, Figure figure, long bytes)
    {
        Interlocked.Add(ref held, bytes);
        if (Volatile.Read(ref _transport) is null) return;
        long left = Interlocked.Exchange(ref held, 0);
        if (left > 0) Add(figure, left);
    }

    public void Attribute(TransportDescriptor? transport, string? sessionKey)
    {
        var session = sessionKey is null ? null : meter.FindSession(sessionKey);
        if (transport is null)
        {
            if (session is null) return; // nobody can place it: it stays "other"
            transport = session.Transport;
        }
        // A session may be carried by any transport: the request counts in the part of the transport that serves it.
        Claim(meter.Transport(transport), session);
    }

    public bool TryOpenSession(TransportDescriptor transport, string? key, out IDisposable session) =>
        TryOpenSession(transport, key, transport.Keying, out session);

    public bool TryOpenSession(TransportDescriptor transport, string? key, SessionKeying keying, out IDisposable session)
    {
        key ??= transport.Id + "-" + connectionId;
        if (!meter.TryAddSession(key, transport, keying, out var added))
        {
            Claim(meter.Transport(transport), null); // the refusal is still this transport's traffic
            session = null!;
            return false;
        }
        Claim(meter.Transport(transport), added);
        session = added is null ? NotTracked.Instance : added.Open();
        return true;
    }

    /// <summary>
    /// What this request was, for a gateway in front (<see cref="GatewayAttribution"/>): the transport that claimed it
    /// and the session it counts to; null while no transport has claimed it, or when it is "other".
    /// </summary>
    internal Declaration? Declaration => Volatile.Read(ref _transport) is { } claimed && !ReferenceEquals(claimed, meter.Other)
        ? new Declaration(claimed.Descriptor.Id, claimed.Descriptor.Keying, claimed.Descriptor.Framing, Session?.Key,
            Session is { } s && s.Keying != claimed.Descriptor.Keying ? s.Keying : null)
        : null;

    /// <summary>
    /// On a gateway: counts this request as its instance declared it, to the declared transport and to the session listed
    /// under the declared key (whose figures start with its first request through the gateway). Returns the session's
    /// lease, which keeps it open while the request lasts: a gateway cannot know when a session ends, and a full table
    /// forgets first the sessions with no request in flight.
    /// </summary>
    internal IDisposable? Declare(Declaration declaration)
    {
        if (meter.Declared(declaration.Transport, declaration.Keying, declaration.Framing) is not { } transport) return null;
        var session = declaration.SessionKey is { } key ? meter.FindOrAddSession(key, transport, declaration.SessionKeying) : null;
        Claim(transport, session);
        return session is not null && ReferenceEquals(Session, session) ? session.Open() : null;
    }

    /// <summary>The response starts, or is complete: a request no transport claimed counts as "other".</summary>
    public void Complete()
    {
        if (_transport is null) Claim(meter.Other, null);
    }

    // The first claim wins; it takes the request count and the bytes held until now. A later claim by the same
    // transport may still name the session (an endpoint that claims its requests first and opens the session after).
    // Claims come from the request's own flow, before its answer; only Complete (on the first written byte) can race one.
    private void Claim(TransportMeter transport, SessionMeter? session)
    {
        if (Volatile.Read(ref _transport) is null)
        {
            _sessionPart = session?.PartOf(transport);
            Session = session; // both published by the exchange below
            if (Interlocked.CompareExchange(ref _transport, transport, null) is null)
            {
                transport.Counters.Increment(Figure.Requests);
                _sessionPart?.Increment(Figure.Requests);
                MoveHeld(ref _heldIn, Figure.BytesIn);
                MoveHeld(ref _heldOut, Figure.BytesOut);
                OnClaimed(transport);
                connection.ServedBy(transport);
                return;
            }
            if (!ReferenceEquals(Volatile.Read(ref _transport), transport))
            {
                Session = null; // another claim won: not its session
                _sessionPart = null;
            }
        }
        if (session is null || Session is not null || !ReferenceEquals(Volatile.Read(ref _transport), transport)) return;
        var part = session.PartOf(transport);
        part.Increment(Figure.Requests);
        part.Add(Figure.BytesIn, In);
        part.Add(Figure.BytesOut, Out);
        OnSessionNamed(part);
        _sessionPart = part;
        Session = session;
    }

    /// <summary>The first claim won: held figures of a subclass move now.</summary>
    protected virtual void OnClaimed(TransportMeter transport)
    {
    }

    /// <summary>A session was named after the claim: its part for this transport gets what the request moved so far.</summary>
    protected virtual void OnSessionNamed(WireCounters sessionPart)
    {
    }

    protected void MoveHeld(ref long held, Figure figure)
    {
        long moved = Interlocked.Exchange(ref held, 0);
        if (moved > 0) Add(figure, moved);
    }

    public void AddFrames(in FrameCounts counts, bool inbound)
    {
        if (counts.HeaderBytes == 0 && counts.DataPayloadBytes == 0) return;
        Add(inbound ? Figure.FramesIn : Figure.FramesOut, counts.Frames);
        Add(inbound ? Figure.ControlFramesIn : Figure.ControlFramesOut, counts.ControlFrames);
        Add(inbound ? Figure.FrameHeaderBytesIn : Figure.FrameHeaderBytesOut, counts.HeaderBytes);
        Add(inbound ? Figure.FramePayloadBytesIn : Figure.FramePayloadBytesOut, counts.DataPayloadBytes);
        Add(inbound ? Figure.CompressedMessagesIn : Figure.CompressedMessagesOut, counts.CompressedMessages);
    }

    /// <summary>A message arrived from the client; returns the Stopwatch timestamp its reply is created at.</summary>
    public long MessageReceived(long payloadBytes)
    {
        long now = Stopwatch.GetTimestamp();
        Add(Figure.MessagesIn, 1);
        Add(Figure.PayloadBytesIn, payloadBytes);
        return now;
    }

    /// <summary>A message was handed to the transport; <paramref name="createdAt"/> 0 means its creation time is unknown.</summary>
    public void MessageDelivered(long payloadBytes, long createdAt)
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
            else MessageDelivered(Encoding.UTF8.GetByteCount(messages[i]), queuedAt[i]);
        }
    }

    protected void Add(Figure figure, long amount)
    {
        Transport.Counters.Add(figure, amount);
        _sessionPart?.Add(figure, amount);
    }

    private sealed class NotTracked : IDisposable
    {
        public static readonly NotTracked Instance = new();

        public void Dispose()
        {
        }
    }
}

/// <summary>
/// A request on a TLS connection: its share of record overhead (<see cref="Figure.TlsRecordBytesIn"/>/<c>Out</c>),
/// held before the claim like its bytes, and its protocol (HTTP/1.1 or HTTP/2 over TLS) counted with its transport.
/// </summary>
internal sealed class TlsRequestMeter(WireMeter meter, HttpLayerMeter connection, string connectionId, ConnectionFigure protocol)
    : RequestMeter(meter, connection, connectionId)
{
    private long _heldRecordIn, _heldRecordOut;

    public long RecordIn { get; private set; }
    public long RecordOut { get; private set; }

    // Inbound shares come from the reading side, outbound ones from TLS's writer (one at a time, under its lock).
    public override void AddRecordBytes(long bytes, bool inbound)
    {
        if (bytes == 0) return;
        var figure = inbound ? Figure.TlsRecordBytesIn : Figure.TlsRecordBytesOut;
        if (inbound) RecordIn += bytes;
        else RecordOut += bytes;
        if (IsClaimed) Add(figure, bytes);
        else if (inbound) Hold(ref _heldRecordIn, figure, bytes);
        else Hold(ref _heldRecordOut, figure, bytes);
    }

    protected override void OnClaimed(TransportMeter transport)
    {
        transport.Connection.Add(protocol, 1);
        MoveHeld(ref _heldRecordIn, Figure.TlsRecordBytesIn);
        MoveHeld(ref _heldRecordOut, Figure.TlsRecordBytesOut);
    }

    protected override void OnSessionNamed(WireCounters sessionPart)
    {
        sessionPart.Add(Figure.TlsRecordBytesIn, RecordIn);
        sessionPart.Add(Figure.TlsRecordBytesOut, RecordOut);
    }
}
