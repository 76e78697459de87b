using System.Buffers;
using System.Net.Security;
using System.Security.Authentication;

namespace PushCompare.Metering;

/// <summary>Something TLS record overhead can be attributed to: a request, or a connection's own figures.</summary>
internal interface IRecordOwner
{
    void AddRecordBytes(long bytes, bool inbound);
}

/// <summary>
/// The wire layer of one TLS connection, below TLS: scans the TLS records both ways and attributes every byte that is
/// not decrypted HTTP. Handshake records (and the ChangeCipherSpec, alerts and any record whose plaintext never reached
/// HTTP) count as the connection's <b>TLS handshake</b>. An application-data record's overhead (5-byte header, AEAD
/// tag, TLS 1.3 inner content type) goes to whatever its plaintext bytes belonged to: in proportion to them, by
/// position — plaintext byte k (0-based) of a record with P plaintext bytes and overhead O carries
/// ⌊O·(k+1)/P⌋ − ⌊O·k/P⌋ bytes, so any split of a record sums to exactly O (docs/measuring.md, "The split rule").
/// Inbound, the records are seen before their plaintext is consumed, so the HTTP layer asks (<see cref="TakeIn"/>)
/// while it attributes; outbound, the HTTP layer logs who wrote each plaintext byte (<see cref="LogOut"/>) and the record
/// is matched when SslStream writes it. Whatever is left unmatched when the connection closes is handshake too, so the
/// connection's figures always add up to exactly its TCP bytes.
/// </summary>
internal sealed class TlsRecordMeter : IByteTap
{
    private readonly Lock _lock = new();
    private TlsRecordScanner _inScan, _outScan;
    private bool _outUnseen;       // written bytes were ever unseen: no record is matched from then on
    private bool _established;     // the handshake completed (SslStream handed over its decrypted pipe)
    private int _expansion = -1;   // AEAD bytes a record adds to its plaintext (tag, explicit nonce, inner type); -1 unknown
    private bool _tls13;
    private List<int>? _early;     // inbound application-data record lengths seen before the handshake completed
    private Ring<InRecord> _in;    // inbound application-data records whose plaintext is not all taken yet
    private Ring<OutPiece> _out;   // plaintext written above, by owner, not yet matched with its record
    private long _outQueued;
    private long _seenIn, _seenOut, _countedIn, _countedOut;
    private long _plainIn, _plainOut, _recordIn, _recordOut, _handshakeIn, _handshakeOut; // this connection's own figures

    public TlsRecordMeter(WireMeter meter, string connectionId)
    {
        Overhead = new ConnectionOverhead(meter);
        ConnectionId = connectionId;
        Opened = meter.Now;
    }

    public string ConnectionId { get; }
    public DateTimeOffset Opened { get; }

    /// <summary>The HTTP protocol ALPN chose, once the handshake completed.</summary>
    public string? Protocol { get; set; }

    /// <summary>
    /// This connection's figures so far, as its transports got them (<see cref="TlsConnectionStats"/>): the record
    /// layer's own counts, and the HTTP layer's bytes less the HTTP/2 connection frames (which are their own figure).
    /// </summary>
    public TlsConnectionStats Stats()
    {
        lock (_lock)
        {
            var (h2In, h2Out) = Overhead.Http2Bytes;
            return new TlsConnectionStats
            {
                Id = ConnectionId,
                Opened = Opened,
                Protocol = Protocol,
                Transport = Overhead.Owner?.Descriptor.Id,
                BytesIn = _plainIn - h2In,
                BytesOut = _plainOut - h2Out,
                Http2ConnectionBytesIn = h2In,
                Http2ConnectionBytesOut = h2Out,
                TlsRecordBytesIn = _recordIn,
                TlsRecordBytesOut = _recordOut,
                TlsHandshakeBytesIn = _handshakeIn,
                TlsHandshakeBytesOut = _handshakeOut,
                WireBytesIn = _seenIn,
                WireBytesOut = _seenOut,
            };
        }
    }

    /// <summary>The connection's own figures (handshake, HTTP/2 connection frames), owned by its first request's transport.</summary>
    public ConnectionOverhead Overhead { get; }

    public void OnConsumed(in ReadOnlySequence<byte> consumed)
    {
        lock (_lock)
        {
            _seenIn += consumed.Length;
            var sink = new Sink(this, inbound: true);
            foreach (var segment in consumed) _inScan.Scan(segment.Span, sink);
        }
    }

    public void OnWritten(ReadOnlySpan<byte> written)
    {
        lock (_lock)
        {
            _seenOut += written.Length;
            if (!_outUnseen) _outScan.Scan(written, new Sink(this, inbound: false));
        }
    }

    public void OnWritten(int count)
    {
        lock (_lock)
        {
            _seenOut += count;
            _outUnseen = true; // the rest reconciles as handshake at close
        }
    }

    /// <summary>The handshake completed: from now on application-data records carry HTTP.</summary>
    public void Established(SslProtocols protocol, TlsCipherSuite? suite)
    {
        lock (_lock)
        {
#pragma warning disable SYSLIB0039 // TLS 1.0/1.1 named only to say they are not 1.3
            _tls13 = protocol == SslProtocols.Tls13;
#pragma warning restore SYSLIB0039
            _expansion = Expansion(_tls13, suite);
            _established = true;
            // TLS 1.3 encrypts the handshake too: the client's first application-data record is its Finished (no
            // client certificate is asked for), the rest arrived early behind it and carry HTTP.
            if (_early is null) return;
            for (int i = 0; i < _early.Count; i++)
            {
                if (_tls13 && i == 0) Control(true, TlsRecordScanner.HeaderLength + _early[i]);
                else ApplicationIn(_early[i]);
            }
            _early = null;
        }
    }

    /// <summary>Bytes of record protection per application-data record beyond its 5-byte header; -1 when it varies (CBC).</summary>
    internal static int Expansion(bool tls13, TlsCipherSuite? suite)
    {
        if (suite is null) return -1;
        string name = suite.Value.ToString();
        int tag = name.Contains("CCM_8", StringComparison.Ordinal) ? 8 : 16;
        if (tls13) return tag + 1; // AEAD tag + the inner content type (no padding: neither OpenSSL nor BoringSSL pads by default)
        if (name.Contains("CHACHA20", StringComparison.Ordinal)) return tag; // RFC 7905: implicit nonce
        if (name.Contains("_GCM_", StringComparison.Ordinal) || name.Contains("_CCM", StringComparison.Ordinal)) return 8 + tag; // explicit nonce
        return -1;
    }

    /// <summary>The HTTP layer attributes the next <paramref name="plaintext"/> decrypted bytes; returns their share of record overhead.</summary>
    public long TakeIn(long plaintext)
    {
        lock (_lock)
        {
            _countedIn += plaintext;
            _plainIn += plaintext;
            long overhead = 0;
            while (plaintext > 0 && _in.Count > 0)
            {
                ref var record = ref _in.Head;
                if (record.Plain == 0)
                {
                    overhead += record.Overhead; // an empty record's overhead goes with the next byte
                    _in.Dequeue();
                    continue;
                }
                long k = Math.Min(plaintext, record.Plain - record.Taken);
                overhead += Share(record.Overhead, record.Plain, record.Taken, record.Taken + k);
                record.Taken += k;
                plaintext -= k;
                if (record.Taken == record.Plain) _in.Dequeue();
            }
            _countedIn += overhead;
            _recordIn += overhead;
            return overhead;
        }
    }

    /// <summary>The HTTP layer wrote <paramref name="plaintext"/> bytes on behalf of <paramref name="owner"/>.</summary>
    public void LogOut(IRecordOwner owner, long plaintext)
    {
        if (plaintext <= 0) return;
        lock (_lock)
        {
            _countedOut += plaintext;
            _plainOut += plaintext;
            _outQueued += plaintext;
            if (_out.Count > 0 && ReferenceEquals(_out.Tail.Owner, owner)) _out.Tail.Left += plaintext;
            else _out.Enqueue(new OutPiece { Owner = owner, Left = plaintext });
        }
    }

    /// <summary>The share of <paramref name="overhead"/> carried by plaintext positions [from, to) of a record of <paramref name="plain"/> bytes.</summary>
    internal static long Share(long overhead, long plain, long from, long to) => overhead * to / plain - overhead * from / plain;

    public void Close()
    {
        lock (_lock)
        {
            Control(true, _seenIn - _countedIn);
            Control(false, _seenOut - _countedOut);
            _out.Clear(); // owners are not kept alive by a closed connection
        }
        Overhead.Close();
    }

    private void Record(bool inbound, byte type, int length)
    {
        if (type != TlsRecordScanner.ApplicationData || !inbound && !_established)
        {
            Control(inbound, TlsRecordScanner.HeaderLength + length); // handshake, ChangeCipherSpec, alert; the server's whole handshake flight
            return;
        }
        if (inbound)
        {
            if (_established) ApplicationIn(length);
            else (_early ??= []).Add(length);
        }
        else
        {
            ApplicationOut(length);
        }
    }

    private void ApplicationIn(int length)
    {
        if (_expansion < 0 || length < _expansion)
        {
            Control(true, TlsRecordScanner.HeaderLength); // protection of unknown size: the rest reconciles at close
            return;
        }
        _in.Enqueue(new InRecord { Plain = length - _expansion, Overhead = TlsRecordScanner.HeaderLength + _expansion });
    }

    private void ApplicationOut(int length)
    {
        long plain = length - _expansion, overhead = TlsRecordScanner.HeaderLength + _expansion;
        // A record without that much logged plaintext is not HTTP (a post-handshake message such as a session ticket).
        if (_expansion < 0 || plain <= 0 || plain > _outQueued)
        {
            Control(false, TlsRecordScanner.HeaderLength + length);
            return;
        }
        _outQueued -= plain;
        _countedOut += overhead;
        _recordOut += overhead;
        long at = 0;
        while (at < plain)
        {
            ref var piece = ref _out.Head;
            long k = Math.Min(piece.Left, plain - at);
            long share = Share(overhead, plain, at, at + k);
            if (share > 0) piece.Owner.AddRecordBytes(share, inbound: false);
            at += k;
            piece.Left -= k;
            if (piece.Left == 0) _out.Dequeue();
        }
    }

    private void Control(bool inbound, long bytes)
    {
        if (bytes == 0) return;
        if (inbound) (_countedIn, _handshakeIn) = (_countedIn + bytes, _handshakeIn + bytes);
        else (_countedOut, _handshakeOut) = (_countedOut + bytes, _handshakeOut + bytes);
        Overhead.Add(inbound ? ConnectionFigure.TlsHandshakeBytesIn : ConnectionFigure.TlsHandshakeBytesOut, bytes);
    }

    private readonly struct Sink(TlsRecordMeter meter, bool inbound) : ITlsRecordSink
    {
        public void Record(byte contentType, int length) => meter.Record(inbound, contentType, length);
    }

    private struct InRecord
    {
        public long Plain, Overhead, Taken;
    }

    private struct OutPiece
    {
        public IRecordOwner Owner;
        public long Left;
    }

    /// <summary>A growable FIFO of structs whose head and tail can be changed in place.</summary>
    private struct Ring<T>
    {
        private T[]? _items;
        private int _head;

        public int Count { get; private set; }

        public ref T Head => ref _items![_head];

        public ref T Tail => ref _items![(_head + Count - 1) % _items.Length];

        public void Enqueue(T item)
        {
            if (_items is null || Count == _items.Length)
            {
                var grown = new T[Math.Max(4, Count * 2)];
                for (int i = 0; i < Count; i++) grown[i] = _items![(_head + i) % _items.Length];
                _items = grown;
                _head = 0;
            }
            _items[(_head + Count) % _items.Length] = item;
            Count++;
        }

        public void Dequeue()
        {
            _items![_head] = default!;
            _head = (_head + 1) % _items.Length;
            Count--;
        }

        public void Clear()
        {
            _items = null;
            _head = 0;
            Count = 0;
        }
    }
}

/// <summary>
/// A TLS connection's own figures — its handshake, its HTTP/2 connection frames (stream 0) and their record overhead —
/// counted to the transport of the connection's first claimed request (held until then; "other" if none ever is).
/// </summary>
internal sealed class ConnectionOverhead(WireMeter meter) : IRecordOwner
{
    private readonly Lock _lock = new();
    private readonly long[] _held = new long[ConnectionCounters.Count + 2]; // + record bytes in/out
    private TransportMeter? _owner;
    private long _http2In, _http2Out;

    public TransportMeter? Owner => Volatile.Read(ref _owner);

    /// <summary>The connection's HTTP/2 stream-0 bytes so far, each way.</summary>
    public (long In, long Out) Http2Bytes => (Interlocked.Read(ref _http2In), Interlocked.Read(ref _http2Out));

    public void Add(ConnectionFigure figure, long bytes)
    {
        if (figure == ConnectionFigure.Http2ConnectionBytesIn) Interlocked.Add(ref _http2In, bytes);
        else if (figure == ConnectionFigure.Http2ConnectionBytesOut) Interlocked.Add(ref _http2Out, bytes);
        Add((int)figure, bytes);
    }

    public void AddRecordBytes(long bytes, bool inbound) => Add(ConnectionCounters.Count + (inbound ? 0 : 1), bytes);

    /// <summary>The first claimed request's transport owns the connection's figures.</summary>
    public void Claimed(TransportMeter transport)
    {
        if (Volatile.Read(ref _owner) is not null) return;
        lock (_lock)
        {
            if (_owner is not null) return;
            _owner = transport;
            for (int i = 0; i < _held.Length; i++)
            {
                if (_held[i] != 0) Flush(transport, i, _held[i]);
                _held[i] = 0;
            }
        }
    }

    public void Close() => Claimed(meter.Other);

    private void Add(int index, long bytes)
    {
        if (bytes == 0) return;
        var owner = Volatile.Read(ref _owner);
        if (owner is null)
        {
            lock (_lock)
            {
                owner = _owner;
                if (owner is null)
                {
                    _held[index] += bytes;
                    return;
                }
            }
        }
        Flush(owner, index, bytes);
    }

    private static void Flush(TransportMeter owner, int index, long bytes)
    {
        if (index < ConnectionCounters.Count) owner.Connection.Add((ConnectionFigure)index, bytes);
        else owner.Counters.Add(index == ConnectionCounters.Count ? Figure.TlsRecordBytesIn : Figure.TlsRecordBytesOut, bytes);
    }
}
