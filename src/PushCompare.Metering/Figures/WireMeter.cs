using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;

namespace PushCompare.Metering;

/// <summary>All wire figures of this process: per transport, per tracked session, and the <c>PushCompare</c> meter.</summary>
internal sealed partial class WireMeter
{
    private static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(1);

    private TransportMeter[] _transports; // the registry's, then (on a gateway) the declared ones, then "other"; copied on write
    private readonly Lock _declaring = new();
    private readonly ConcurrentDictionary<string, SessionMeter> _sessions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<TlsRecordMeter, byte> _tlsConnections = new(ReferenceEqualityComparer.Instance);
    private readonly MeteringOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<WireMeter> _logger;
    private readonly WireInstruments? _instruments;
    private int _tracked;
    private long _untracked;
    private long _lastSweep;
    private DateTimeOffset _since;

    public WireMeter(IOptions<MeteringOptions> options, TransportRegistry registry, TimeProvider time, IMeterFactory meters, ILogger<WireMeter> logger)
    {
        _options = options.Value;
        Registry = registry;
        _time = time;
        _logger = logger;
        _since = time.GetUtcNow();
        _transports = [.. registry.All.Select(t => new TransportMeter(t, carriesMessages: !ReferenceEquals(t, TransportRegistry.Other)))];
        Other = _transports[^1];
        if (_options.Enabled) _instruments = new WireInstruments(meters, this);
    }

    public bool Enabled => _options.Enabled;

    public TransportRegistry Registry { get; }

    /// <summary>The figures of bytes no transport claimed.</summary>
    public TransportMeter Other { get; }

    /// <summary>Every transport's figures, in listing order: the registry's, the declared ones (a gateway's), "other".</summary>
    public IReadOnlyList<TransportMeter> Transports => Volatile.Read(ref _transports);

    /// <summary>The figures of a transport this process serves (the registry's), or of "other".</summary>
    public TransportMeter Transport(TransportDescriptor transport) =>
        ReferenceEquals(transport, TransportRegistry.Other) ? Other : Volatile.Read(ref _transports)[Registry.IndexOf(transport)];

    /// <summary>The most transports a gateway keeps figures for from its instances' declarations; more count as "other".</summary>
    public const int MaxDeclaredTransports = 16;

    /// <summary>
    /// A gateway's figures of a transport one of its instances declared (<see cref="GatewayAttribution"/>): a gateway
    /// serves no transport, so its registry is empty, and it keeps one bucket per transport id it has been told, listed
    /// before "other". The first declaration of an id fixes its keying and framing. Null for "other" itself, and past
    /// <see cref="MaxDeclaredTransports"/>: such requests stay "other".
    /// </summary>
    public TransportMeter? Declared(string id, SessionKeying keying, WireFraming framing)
    {
        if (Find(Volatile.Read(ref _transports), id, out var known)) return known;
        lock (_declaring)
        {
            var current = _transports;
            if (Find(current, id, out known)) return known;
            if (current.Length - Registry.All.Count >= MaxDeclaredTransports) return null;
            // "Other" is not a transport: a declaration in its name counts as other. Messages are the instances' to count.
            var declared = new TransportMeter(new TransportDescriptor(id, id, keying, framing), carriesMessages: false);
            Volatile.Write(ref _transports, [.. current[..^1], declared, Other]);
            return declared;
        }

        static bool Find(TransportMeter[] transports, string id, out TransportMeter? found)
        {
            found = null;
            foreach (var t in transports) // a handful: a scan beats hashing the id
            {
                if (!string.Equals(t.Descriptor.Id, id, StringComparison.Ordinal)) continue;
                found = ReferenceEquals(t, transports[^1]) ? null : t;
                return true;
            }
            return false;
        }
    }

    public SessionMeter? FindSession(string key) => _sessions.GetValueOrDefault(key);

    /// <summary>Every session tracked now (for a backplane that adds each one's figures to a shared sum).</summary>
    public ICollection<SessionMeter> TrackedSessions => _sessions.Values;

    public DateTimeOffset Now => _time.GetUtcNow();

    /// <summary>Open TLS connections are listed one by one with their own figures (plain ones are their requests' alone).</summary>
    public void TlsConnectionOpened(TlsRecordMeter connection) => _tlsConnections.TryAdd(connection, 0);

    public void TlsConnectionClosed(TlsRecordMeter connection) => _tlsConnections.TryRemove(connection, out _);

    /// <summary>
    /// Starts tracking a session under <paramref name="key"/>, issued as <paramref name="keying"/> says. False when the key
    /// already names a session (of any transport, open or closed): a key is one session's, so nobody can add figures to
    /// another's. True with a null <paramref name="session"/> when the table is full (the session counts in its
    /// transport's totals only).
    /// </summary>
    public bool TryAddSession(string key, TransportDescriptor transport, SessionKeying keying, out SessionMeter? session) =>
        TryAddSession(key, Transport(transport), keying, out session);

    /// <summary>As <see cref="TryAddSession(string, TransportDescriptor, SessionKeying, out SessionMeter?)"/>, for any transport's figures (a gateway's declared ones too).</summary>
    public bool TryAddSession(string key, TransportMeter transport, SessionKeying keying, out SessionMeter? session)
    {
        session = null;
        if (_sessions.ContainsKey(key)) return false;
        if (Volatile.Read(ref _tracked) >= _options.MaxTrackedSessions && !SweepClosed())
        {
            if (Interlocked.Increment(ref _untracked) == 1) SessionLimitReached(_logger, _options.MaxTrackedSessions);
            return true;
        }
        var fresh = new SessionMeter(key, transport, keying, _time.GetUtcNow());
        if (!_sessions.TryAdd(key, fresh)) return false; // another connection took the key at the same moment
        Interlocked.Increment(ref _tracked);
        session = fresh;
        return true;
    }

    /// <summary>
    /// The session listed as <paramref name="key"/>, started now if no request has named it yet (a gateway learns its
    /// sessions from its instances' declarations); null when the table is full. A server-issued key may be carried by
    /// any transport; a client-chosen one names one connection, so another transport's request never adds to it (nor
    /// a request with a client-chosen key to a server-issued session).
    /// </summary>
    public SessionMeter? FindOrAddSession(string key, TransportMeter transport, SessionKeying keying)
    {
        var session = FindSession(key);
        if (session is null && TryAddSession(key, transport, keying, out var added)) session = added;
        session ??= FindSession(key); // another request of the session added it first
        if (session is null || session.Keying != keying) return null;
        return keying == SessionKeying.ServerIssued || ReferenceEquals(session.TransportMeter, transport) ? session : null;
    }

    public void RecordLatency(TransportMeter transport, SessionMeter? session, TimeSpan elapsed)
    {
        long microseconds = Math.Max(0, elapsed.Ticks / TimeSpan.TicksPerMicrosecond);
        transport.Latency?.Record(microseconds);
        session?.RecordLatency(transport, microseconds);
        _instruments?.RecordDelivery(transport, elapsed.TotalMilliseconds);
    }

    /// <summary>Open sessions of a transport, as the transport counts them (exact, tracked or not).</summary>
    public int OpenSessions(TransportDescriptor transport) => Registry.Serves(transport) ? Registry.OpenSessions(transport) : 0;

    /// <summary>Starts every figure afresh (the instruments keep their lifetime totals); closed sessions are forgotten.</summary>
    public void Reset()
    {
        _since = _time.GetUtcNow();
        foreach (var transport in Transports)
        {
            transport.Counters.Reset();
            transport.Connection.Reset();
            transport.Latency?.Reset();
        }
        foreach (var (key, session) in _sessions)
        {
            session.Reset();
            if (!session.IsOpen && _sessions.TryRemove(key, out _)) Interlocked.Decrement(ref _tracked);
        }
        Interlocked.Exchange(ref _untracked, 0);
    }

    // Frees room by forgetting closed sessions, at most once a second so a full table of open sessions is not rescanned per request.
    private bool SweepClosed()
    {
        long now = _time.GetTimestamp();
        long last = Volatile.Read(ref _lastSweep);
        if (last != 0 && _time.GetElapsedTime(last, now) < SweepInterval) return false;
        if (Interlocked.CompareExchange(ref _lastSweep, now, last) != last) return false;
        foreach (var (key, session) in _sessions)
        {
            if (!session.IsOpen && _sessions.TryRemove(key, out _)) Interlocked.Decrement(ref _tracked);
        }
        return Volatile.Read(ref _tracked) < _options.MaxTrackedSessions;
    }

    [LoggerMessage(EventId = 400, Level = LogLevel.Warning,
        Message = "{Max} metered sessions are open; later sessions count in the transport totals only (raise Metering:MaxTrackedSessions to see them one by one)")]
    private static partial void SessionLimitReached(ILogger logger, int max);
}
