using System.Buffers;

namespace PushCompare.Metering;

/// <summary>
/// Attributes the bytes of one HTTP/1.x connection (plaintext TCP, or the decrypted bytes of TLS). Inbound bytes count
/// when Kestrel consumes them, so the next request's head (consumed only when Kestrel parses it) never lands in the
/// previous request. Bytes moved while no request is bound are pending; a request takes the pending inbound bytes
/// (its head) when it begins. After an upgrade (101) every byte belongs to the upgraded request until the connection
/// closes, and is scanned for frames when its transport declares a framing. Whatever is pending at close (e.g. a 400
/// Kestrel wrote for a malformed request) counts as "other". Over TLS, <see cref="TlsConnectionMeter"/> adds the wire
/// layer through the hooks; on plaintext they are empty.
/// </summary>
internal class ConnectionMeter : HttpLayerMeter, IByteTap
{
    private RequestMeter? _current;   // where bytes go now; null = pending
    private RequestMeter? _carry;     // the previous request, still owed the unread body Kestrel drains after it
    private long _carryIn;
    private long _pendingIn, _pendingOut;
    private volatile bool _upgraded;
    private volatile bool _scanFrames;       // upgraded, and the transport declared RFC 6455 framing
    private bool _outFramesLost;      // set if written bytes were ever unseen: frame counts would be guesses from then on
    private WebSocketFrameScanner _inFrames, _outFrames; // touched only by the reading and the writing side respectively

    public ConnectionMeter(WireMeter meter) : base(meter)
    {
    }

    public bool IsUpgraded => _upgraded;

    /// <summary>Kestrel consumed these bytes (PipeReader.AdvanceTo).</summary>
    public void OnConsumed(in ReadOnlySequence<byte> consumed)
    {
        long n = consumed.Length;
        if (_carryIn > 0)
        {
            long owed = Math.Min(n, _carryIn);
            _carry!.AddIn(owed);
            ConsumedBy(_carry, owed);
            _carryIn -= owed;
            n -= owed;
            if (n == 0) return;
        }

        var current = Volatile.Read(ref _current);
        if (current is null)
        {
            Interlocked.Add(ref _pendingIn, n);
            ConsumedBy(null, n);
            return;
        }
        current.AddIn(n);
        ConsumedBy(current, n);
        if (_scanFrames)
        {
            var counts = default(FrameCounts);
            _inFrames.Scan(consumed.Slice(consumed.Length - n), ref counts);
            current.AddFrames(counts, inbound: true);
        }
    }

    /// <summary>Kestrel wrote these bytes to the transport.</summary>
    public void OnWritten(ReadOnlySpan<byte> written)
    {
        var current = Count(written.Length);
        if (current is not null && _scanFrames && !_outFramesLost)
        {
            var counts = default(FrameCounts);
            _outFrames.Scan(written, ref counts);
            current.AddFrames(counts, inbound: false);
        }
    }

    /// <summary>Kestrel wrote <paramref name="count"/> bytes whose content the writer could not see; frame scanning stops.</summary>
    public void OnWritten(int count)
    {
        if (Count(count) is not null && _scanFrames) _outFramesLost = true;
    }

    private RequestMeter? Count(int written)
    {
        var current = Volatile.Read(ref _current);
        if (current is null) Interlocked.Add(ref _pendingOut, written);
        else current.AddOut(written);
        WrittenBy(current, written);
        return current;
    }

    /// <summary>A request's head was parsed: from now on its bytes go to <paramref name="request"/>.</summary>
    public void Begin(RequestMeter request)
    {
        _carry = null;
        _carryIn = 0;
        long head = Interlocked.Exchange(ref _pendingIn, 0);
        long strayOut = Interlocked.Exchange(ref _pendingOut, 0);
        if (strayOut > 0) Meter.Other.Counters.Add(Figure.BytesOut, strayOut);
        request.Head = head;
        request.AddIn(head);
        PendingTo(request);
        Volatile.Write(ref _current, request);
    }

    /// <summary>
    /// The response is complete (after Kestrel's final flush). A body the application did not read is drained by
    /// Kestrel after this point; when its length is known (Content-Length) it is still counted to this request.
    /// </summary>
    public void End(RequestMeter request, long? contentLength)
    {
        if (_upgraded || !ReferenceEquals(Volatile.Read(ref _current), request)) return;
        request.Complete();
        long unread = (contentLength ?? 0) - (request.In - request.Head);
        if (unread > 0)
        {
            _carry = request;
            _carryIn = unread;
        }
        Volatile.Write(ref _current, null);
    }

    /// <summary>The 101 was written: every later byte belongs to <paramref name="request"/>, framed as its transport declared.</summary>
    public void Upgraded(RequestMeter request)
    {
        request.Complete(); // an upgrade no transport claimed is "other" from here on
        _scanFrames = request.Transport.Descriptor.Framing == WireFraming.Rfc6455;
        _upgraded = true;
    }

    public virtual void Close()
    {
        var other = Meter.Other.Counters;
        other.Add(Figure.BytesIn, Interlocked.Exchange(ref _pendingIn, 0));
        other.Add(Figure.BytesOut, Interlocked.Exchange(ref _pendingOut, 0));
        ConnectionClosed();
    }

    /// <summary>Consumed bytes were attributed, in wire order, to <paramref name="request"/> (null: pending).</summary>
    protected virtual void ConsumedBy(RequestMeter? request, long bytes)
    {
    }

    /// <summary>Written bytes were attributed, in wire order, to <paramref name="request"/> (null: pending, later "other").</summary>
    protected virtual void WrittenBy(RequestMeter? request, int bytes)
    {
    }

    /// <summary>The pending inbound bytes became <paramref name="request"/>'s head.</summary>
    protected virtual void PendingTo(RequestMeter request)
    {
    }
}

/// <summary>
/// HTTP/1.x over TLS: the same attribution as plaintext on the decrypted bytes, plus each byte's share of TLS record
/// overhead (<see cref="TlsRecordMeter"/>) following it — to its request, held with a pending head, "other" if stray.
/// </summary>
internal sealed class TlsConnectionMeter(WireMeter meter, TlsRecordMeter tls) : ConnectionMeter(meter)
{
    private readonly OtherRecords _other = new(meter.Other);
    private long _pendingRecordIn; // record overhead of the pending head

    protected override void ConsumedBy(RequestMeter? request, long bytes)
    {
        long overhead = tls.TakeIn(bytes);
        if (request is null) Interlocked.Add(ref _pendingRecordIn, overhead);
        else request.AddRecordBytes(overhead, inbound: true);
    }

    protected override void WrittenBy(RequestMeter? request, int bytes) => tls.LogOut(request ?? (IRecordOwner)_other, bytes);

    protected override void PendingTo(RequestMeter request) => request.AddRecordBytes(Interlocked.Exchange(ref _pendingRecordIn, 0), inbound: true);

    protected override void OnClaimed(TransportMeter transport) => tls.Overhead.Claimed(transport);

    public override void Close()
    {
        _other.AddRecordBytes(Interlocked.Exchange(ref _pendingRecordIn, 0), inbound: true);
        base.Close();
    }
}
