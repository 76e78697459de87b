using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;

namespace PushCompare.Metering;

/// <summary>All wire figures of this process: per transport, per tracked session, and the <c>PushCompare</c> meter.</summary>
internal sealed partial class WireMeter
{
    private static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(1);

    private readonly TransportMeter[] _transports;
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

    public IReadOnlyList<TransportMeter> Transports => _transports;

    public TransportMeter Transport(TransportDescriptor transport) => _transports[Registry.IndexOf(transport)];

    public SessionMeter? FindSession(string key) => _sessions.GetValueOrDefault(key);

    /// <summary>Every session tracked now (for a backplane that adds each one's figures to a shared sum).</summary>
    public ICollection<SessionMeter> TrackedSessions => _sessions.Values;

    public DateTimeOffset Now => _time.GetUtcNow();

    /// <summary>Open TLS connections are listed one by one with their own figures (plain ones are their requests' alone).</summary>
    public void TlsConnectionOpened(TlsRecordMeter connection) => _tlsConnections.TryAdd(connection, 0);

    public void TlsConnectionClosed(TlsRecordMeter connection) => _tlsConnections.TryRemove(connection, out _);

    /// <summary>
    /// Starts tracking a session under <paramref name="key"/>. False when the key already names a session (of any
    /// transport, open or closed): a key is one session's, so nobody can add figures to another's. True with a null
    /// <paramref name="session"/> when the table is full (the session counts in its transport's totals only).
    /// </summary>
    public bool TryAddSession(string key, TransportDescriptor transport, out SessionMeter? session)
    {
        session = null;
        if (_sessions.ContainsKey(key)) return false;
        if (Volatile.Read(ref _tracked) >= _options.MaxTrackedSessions && !SweepClosed())
        {
            if (Interlocked.Increment(ref _untracked) == 1) SessionLimitReached(_logger, _options.MaxTrackedSessions);
            return true;
        }
        var fresh = new SessionMeter(key, Transport(transport), _time.GetUtcNow());
        if (!_sessions.TryAdd(key, fresh)) return false; // another connection took the key at the same moment
        Interlocked.Increment(ref _tracked);
        session = fresh;
        return true;
    }

    public void RecordLatency(TransportMeter transport, SessionMeter? session, TimeSpan elapsed)
    {
        long microseconds = Math.Max(0, elapsed.Ticks / TimeSpan.TicksPerMicrosecond);
        transport.Latency?.Record(microseconds);
        session?.RecordLatency(microseconds);
        _instruments?.RecordDelivery(transport.Descriptor, elapsed.TotalMilliseconds);
    }

    /// <summary>Open sessions of a transport, as the transport counts them (exact, tracked or not).</summary>
    public int OpenSessions(TransportDescriptor transport) => Registry.OpenSessions(transport);

    /// <summary>Starts every figure afresh (the instruments keep their lifetime totals); closed sessions are forgotten.</summary>
    public void Reset()
    {
        _since = _time.GetUtcNow();
        foreach (var transport in _transports)
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
