using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using PushCompare.Web.LongPolling;

namespace PushCompare.Web.Metering;

/// <summary>All wire figures of this process: per transport, per tracked session, and the <c>PushCompare</c> meter.</summary>
internal sealed partial class WireMeter
{
    private static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(1);

    private readonly TransportMeter[] _transports = [.. WireTransports.All.Select(t => new TransportMeter(t))];
    private readonly ConcurrentDictionary<string, SessionMeter> _sessions = new(StringComparer.Ordinal);
    private readonly MeteringOptions _options;
    private readonly TimeProvider _time;
    private readonly IServiceProvider _services;
    private readonly ILogger<WireMeter> _logger;
    private readonly WireInstruments? _instruments;
    private PollSessionStore? _store;
    private int _tracked;
    private long _untracked;
    private long _lastSweep;
    private DateTimeOffset _since;

    public WireMeter(IOptions<MeteringOptions> options, TimeProvider time, IServiceProvider services, IMeterFactory meters, ILogger<WireMeter> logger)
    {
        _options = options.Value;
        _time = time;
        _services = services;
        _logger = logger;
        _since = time.GetUtcNow();
        if (_options.Enabled) _instruments = new WireInstruments(meters, this);
    }

    public bool Enabled => _options.Enabled;

    public TransportMeter Transport(WireTransport transport) => _transports[(int)transport];

    /// <summary>The session of a WebSocket, keyed by the page's <c>client</c> token or the connection id.</summary>
    public SessionMeter? WebSocketSession(string key) => GetOrAdd(key, WireTransport.WebSocket);

    /// <summary>The session of a polling id; only ids the session store holds are tracked, so made-up ids cost nothing.</summary>
    public SessionMeter? PollSession(string id, WireTransport transport)
    {
        if (_sessions.TryGetValue(id, out var known)) return known.Transport.IsPolling() ? known : null;
        return Store?.Find(id).Session is null ? null : GetOrAdd(id, transport);
    }

    /// <summary>
    /// What a request to <c>/poll/{id}</c> counts as: short polling when the session was opened with <c>wait=0</c>
    /// (asked of the session store, else of the session's meter once the store has swept it), otherwise long polling.
    /// </summary>
    public WireTransport PollTransport(string id, out SessionMeter? session)
    {
        var transport = Store?.Find(id).Session switch
        {
            { IsShortPolling: true } => WireTransport.ShortPoll,
            not null => WireTransport.LongPoll,
            null => _sessions.TryGetValue(id, out var known) && known.Transport.IsPolling() ? known.Transport : WireTransport.LongPoll,
        };
        session = PollSession(id, transport);
        return transport;
    }

    public void RecordLatency(TransportMeter transport, SessionMeter? session, TimeSpan elapsed)
    {
        long microseconds = Math.Max(0, elapsed.Ticks / TimeSpan.TicksPerMicrosecond);
        transport.Latency?.Record(microseconds);
        session?.RecordLatency(microseconds);
        _instruments?.RecordDelivery(transport.Transport, elapsed.TotalMilliseconds);
    }

    /// <summary>Open sessions of a transport: open WebSockets, or tracked polling sessions the store still holds open.</summary>
    public int OpenSessions(WireTransport transport)
    {
        if (transport == WireTransport.WebSocket) return Transport(transport).OpenWebSockets;
        if (!transport.IsPolling()) return 0;
        int open = 0;
        foreach (var session in _sessions.Values)
        {
            if (session.Transport == transport && IsOpen(session)) open++;
        }
        return open;
    }

    /// <summary>Starts every figure afresh (the instruments keep their lifetime totals); closed sessions are forgotten.</summary>
    public void Reset()
    {
        _since = _time.GetUtcNow();
        foreach (var transport in _transports)
        {
            transport.Counters.Reset();
            transport.Latency?.Reset();
        }
        foreach (var (key, session) in _sessions)
        {
            session.Reset();
            if (!IsOpen(session) && _sessions.TryRemove(key, out _)) Interlocked.Decrement(ref _tracked);
        }
        Interlocked.Exchange(ref _untracked, 0);
    }

    private PollSessionStore? Store => _store ??= _services.GetService<PollSessionStore>();

    private bool IsOpen(SessionMeter session)
    {
        if (session.Transport == WireTransport.WebSocket) return session.OpenConnections > 0;
        return Store?.Find(session.Key).Session is { CloseReason: null };
    }

    private SessionMeter? GetOrAdd(string key, WireTransport transport)
    {
        if (_sessions.TryGetValue(key, out var session)) return session;
        if (Volatile.Read(ref _tracked) >= _options.MaxTrackedSessions && !SweepClosed())
        {
            if (Interlocked.Increment(ref _untracked) == 1) SessionLimitReached(_logger, _options.MaxTrackedSessions);
            return null;
        }
        var fresh = new SessionMeter(key, transport, _time.GetUtcNow());
        if (_sessions.TryAdd(key, fresh))
        {
            Interlocked.Increment(ref _tracked);
            return fresh;
        }
        return _sessions.TryGetValue(key, out session) ? session : null;
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
            if (!IsOpen(session) && _sessions.TryRemove(key, out _)) Interlocked.Decrement(ref _tracked);
        }
        return Volatile.Read(ref _tracked) < _options.MaxTrackedSessions;
    }

    [LoggerMessage(EventId = 400, Level = LogLevel.Warning,
        Message = "{Max} metered sessions are open; later sessions count in the transport totals only (raise Metering:MaxTrackedSessions to see them one by one)")]
    private static partial void SessionLimitReached(ILogger logger, int max);
}
