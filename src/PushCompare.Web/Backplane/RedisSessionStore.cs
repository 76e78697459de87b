using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using PushCompare.Web.Messaging;
using PushCompare.Metering;
using PushCompare.Web.Sessions;
using StackExchange.Redis;

namespace PushCompare.Web.Backplane;

/// <summary>
/// The sessions of every instance, kept in Redis (docs/protocol.md, "Redis"): any instance answers any request of any
/// session. Each operation is one Lua script (<see cref="RedisScripts"/>), so it is atomic however many instances race.
/// A reader waiting on this instance is woken by a pub/sub notice on this instance's channel, never by a blocking
/// command (the multiplexer shares one connection between all callers, so BLPOP or XREAD BLOCK would stall them all).
/// </summary>
internal sealed partial class RedisSessionStore : ISessionStore
{
    private readonly IConnectionMultiplexer _redis;
    private readonly MessageSessionOptions _options;
    private readonly TransportRegistry _transports;
    private readonly ILogger<RedisSessionStore> _logger;
    private readonly string _prefix;
    private readonly RedisChannel _channel;
    private readonly Wakeups _wakeups = new();
    private readonly ConcurrentDictionary<(string Id, long Reader), byte> _readersHere = new();
    private readonly ConcurrentDictionary<string, OpenedHere> _openedHere = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<TransportDescriptor, int> _openCounts = new();
    private readonly Lock _readyGate = new();
    private Task<SessionIds>? _ready;
    private int _draining;

    public RedisSessionStore(IConnectionMultiplexer redis, IOptions<MessageSessionOptions> options, IOptions<BackplaneOptions> backplane,
        TransportRegistry transports, ILogger<RedisSessionStore> logger)
    {
        _redis = redis;
        _options = options.Value;
        _transports = transports;
        _logger = logger;
        _prefix = backplane.Value.KeyPrefix;
        Instance = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        _channel = RedisChannel.Literal(_prefix + "wake:" + Instance);
        // A notice published while the subscription was down is lost: every waiting reader re-reads once it is back.
        _redis.ConnectionRestored += (_, _) => _wakeups.FireAll();
    }

    /// <summary>This instance's name in Redis (its wake-up channel); random per process.</summary>
    public string Instance { get; }

    public MessageSessionOptions Options => _options;

    public bool IsDraining => Volatile.Read(ref _draining) == 1;

    public bool IsShared => true;

    public string KeyPrefix => _prefix;

    public int OpenCountOf(TransportDescriptor transport) => _openCounts.GetOrAdd(transport, 0);

    internal IDatabase Database => _redis.GetDatabase();

    private RedisKey[] Keys(string id) => [_prefix + "s:" + id, _prefix + "l:" + id];

    public async ValueTask<SessionOpening> OpenAsync(TransportDescriptor transport, EchoMode mode, TimeSpan defaultWait)
    {
        if (IsDraining) return new(null, OpenRefusal.ShuttingDown);
        var ids = await ReadyAsync();
        string id = ids.NewId();
        string statsKey = ids.StatsKey(id);
        var opened = new OpenedHere(statsKey);
        _openedHere[id] = opened; // before the script: a close on another instance may notify this one at once
        var result = await EvalAsync(RedisScripts.Open, id, transport.Id, mode == EchoMode.Exact ? "exact" : "received",
            (long)defaultWait.TotalMilliseconds, statsKey, _options.MaxBacklogMessages, _options.MaxBacklogBytes, _options.MaxSessions, Instance);
        if (Status(result) != "ok")
        {
            _openedHere.TryRemove(id, out _);
            return new(null, OpenRefusal.TooMany);
        }
        return new(new RedisSession(this, id, statsKey, transport, mode, defaultWait, null), OpenRefusal.None);
    }

    public async ValueTask<SessionFound> FindAsync(string id)
    {
        var ids = await ReadyAsync();
        if (!ids.WasIssued(id)) return new(null, false, null); // never issued (by any instance): no round trip
        var fields = await Guard(Database.HashGetAsync(Keys(id)[0], ["tr", "mode", "wait", "sk", "closed"]));
        if (fields[0].IsNull || _transports.All.FirstOrDefault(t => t.Id == fields[0]) is not { } transport)
            return new(null, true, ids.StatsKey(id)); // expired (its keys' TTL ran out) or closed long enough ago
        var session = new RedisSession(this, id, fields[3]!, transport, fields[1] == "exact" ? EchoMode.Exact : EchoMode.Prefixed,
            TimeSpan.FromMilliseconds((long)fields[2]), fields[4].IsNull ? null : Reason(fields[4]!));
        return new(session, true, session.StatsKey);
    }

    public async ValueTask<bool> AppendAsync(string id, string text)
    {
        var ids = await ReadyAsync();
        return ids.WasIssued(id) && await EnqueueAsync(id, text);
    }

    internal async ValueTask<bool> EnqueueAsync(string id, string text)
    {
        var result = await EvalAsync(RedisScripts.Enqueue, id, text);
        if (Status(result) == "ok") return true;
        ForgetOpened(id);
        return false;
    }

    /// <summary>
    /// Drain with a shared store: this instance stops taking new sessions and readers and ends its held polls and open
    /// streams at once, so their clients read again through another instance. It closes no session: what was accepted
    /// with 202 stays in Redis for the instance that serves the session next.
    /// </summary>
    public async Task DrainAsync(TimeSpan timeout, CancellationToken cancel)
    {
        Interlocked.Exchange(ref _draining, 1);
        _wakeups.FireAll();
        try
        {
            // The readers answer within one Redis round trip of the wake; the bound covers a store that hangs.
            await Eventually(() => _readersHere.IsEmpty, timeout, cancel);
        }
        catch (OperationCanceledException)
        {
            // Host shutdown timeout: the web server stops and aborts what is left.
        }
    }

    private static async Task Eventually(Func<bool> done, TimeSpan timeout, CancellationToken cancel)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        bound.CancelAfter(timeout);
        while (!done()) await Task.Delay(10, bound.Token);
    }

    // ---- what RedisSession calls ----

    internal Wakeups Wakeups => _wakeups;

    internal void ReaderAttached(string id, long reader) => _readersHere[(id, reader)] = 0;

    internal void ReaderDetached(string id, long reader) => _readersHere.TryRemove((id, reader), out _);

    internal CancellationToken EndedOf(string id) => _openedHere.TryGetValue(id, out var opened) ? opened.Ended : CancellationToken.None;

    internal void TrackFigures(string id, IDisposable figures)
    {
        if (_openedHere.TryGetValue(id, out var opened)) opened.Track(figures);
        else figures.Dispose();
    }

    /// <summary>The session closed or expired: its push stream stops and its figures' lease ends on this instance.</summary>
    internal void ForgetOpened(string id)
    {
        if (_openedHere.TryRemove(id, out var opened)) opened.End();
    }

    /// <summary>A closed reason in words: a full backlog is stored as a marker and said with this instance's limits.</summary>
    internal string Reason(string stored) => stored == RedisScripts.BacklogReason ? MessageSession.BacklogFullReason(_options) : stored;

    internal Task<RedisResult[]> EvalAsync(string script, string id, params RedisValue[] args) => EvalAsync(script, Keys(id), id, args);

    /// <summary>A script with other keys than one session's (a topic's publish); ARGV starts as for every script.</summary>
    internal async Task<RedisResult[]> EvalAsync(string script, RedisKey[] keys, string id, params RedisValue[] args)
    {
        await ReadyAsync();
        RedisValue[] values = [(long)_options.IdleTimeout.TotalMilliseconds, _prefix, id, .. args];
        var result = await Guard(Database.ScriptEvaluateAsync(script, keys, values));
        return (RedisResult[])result!;
    }

    /// <summary>
    /// This machine's Stopwatch timestamp for a moment stamped with Redis's clock (ms since the epoch), at least 1: where a
    /// message's latency starts when another instance queued it (docs/measuring.md).
    /// </summary>
    internal static long LocalTimestampOf(long redisMs)
    {
        long nowTs = Stopwatch.GetTimestamp(), nowMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        return Math.Max(1, nowTs - Math.Max(0, nowMs - redisMs) * Stopwatch.Frequency / 1000);
    }

    internal static string Status(RedisResult[] result) => (string)result[0]!;

    /// <summary>Redis unreachable, timing out, or still loading its data after a restart: the operation is answered 503.</summary>
    internal static async Task<T> Guard<T>(Task<T> operation)
    {
        try
        {
            return await operation;
        }
        catch (Exception ex) when (IsOutage(ex))
        {
            throw new SessionStoreUnavailableException("The session store (Redis) is unavailable.", ex);
        }
    }

    internal static bool IsOutage(Exception ex) => ex is RedisConnectionException or RedisTimeoutException
        || ex is RedisServerException server && (server.Message.StartsWith("LOADING", StringComparison.Ordinal)
            || server.Message.StartsWith("BUSY", StringComparison.Ordinal) || server.Message.StartsWith("MASTERDOWN", StringComparison.Ordinal));

    // Once per process, retried until it succeeds: the id key every instance shares (the first to start makes it; ids
    // issued by one are checked by all) and this instance's wake-up channel.
    private Task<SessionIds> ReadyAsync()
    {
        lock (_readyGate)
        {
            if (_ready is null || _ready.IsFaulted || _ready.IsCanceled) _ready = PrepareAsync();
            return _ready;
        }
    }

    private async Task<SessionIds> PrepareAsync()
    {
        var db = Database;
        RedisKey keyName = _prefix + "idkey";
        await Guard(db.StringSetAsync(keyName, RandomNumberGenerator.GetBytes(SessionIds.KeyBytes), when: When.NotExists));
        byte[]? key = await Guard(db.StringGetAsync(keyName));
        if (key is not { Length: SessionIds.KeyBytes }) throw new InvalidOperationException($"Redis key {keyName} does not hold a {SessionIds.KeyBytes}-byte id key.");
        await Guard(SubscribeAsync());
        return new SessionIds(key);
    }

    private async Task<bool> SubscribeAsync()
    {
        await _redis.GetSubscriber().SubscribeAsync(_channel, (_, notice) => OnNotice(notice!));
        return true;
    }

    // "<id>": the log of session id changed (a message, a newer reader); "!<id>": it closed.
    private void OnNotice(string notice)
    {
        if (notice.StartsWith('!'))
        {
            string id = notice[1..];
            ForgetOpened(id);
            _wakeups.Fire(id);
        }
        else
        {
            _wakeups.Fire(notice);
        }
    }

    // ---- upkeep, run by RedisSessionUpkeep ----

    /// <summary>
    /// Keeps the sessions this instance reads alive (an open stream or held poll is activity, as in memory), forgets
    /// sessions it opened that expired, and refreshes the open counts /api/stats shows.
    /// </summary>
    internal async Task UpkeepAsync(bool refreshReaders)
    {
        var db = Database;
        var batch = new List<Task>();
        if (refreshReaders)
        {
            foreach (var (id, reader) in _readersHere.Keys) batch.Add(EvalAsync(RedisScripts.Refresh, id, reader));
            foreach (var id in _openedHere.Keys) batch.Add(ForgetIfGoneAsync(db, id));
        }
        var now = await Guard(db.ExecuteAsync("TIME"));
        var parts = (RedisResult[])now!;
        long ms = (long)parts[0] * 1000 + (long)parts[1] / 1000;
        foreach (var transport in _transports.Transports)
        {
            if (transport.Keying != SessionKeying.ServerIssued) continue;
            batch.Add(CountAsync(db, transport, ms));
        }
        await Task.WhenAll(batch);
    }

    private async Task ForgetIfGoneAsync(IDatabase db, string id)
    {
        var fields = await Guard(db.HashGetAsync(Keys(id)[0], ["tr", "closed"]));
        if (!fields[0].IsNull && fields[1].IsNull) return;
        // Expired (a close already cleared it): the summed figures say the session is no longer open.
        if (fields[0].IsNull && _openedHere.TryGetValue(id, out var opened))
            await Guard(db.HashSetAsync(_prefix + "f:" + opened.StatsKey, "open", 0));
        ForgetOpened(id);
    }

    private async Task CountAsync(IDatabase db, TransportDescriptor transport, long nowMs)
    {
        long open = await Guard(db.SortedSetLengthAsync(_prefix + "open:" + transport.Id, nowMs, double.PositiveInfinity, Exclude.Start));
        _openCounts[transport] = (int)Math.Min(open, int.MaxValue);
    }

    internal int ReadersHere => _readersHere.Count;

    [LoggerMessage(EventId = 230, Level = LogLevel.Warning, Message = "Session upkeep could not reach Redis ({Reason}); it retries")]
    internal static partial void UpkeepFailed(ILogger logger, string reason);

    internal ILogger Logger => _logger;

    /// <summary>What this instance holds for a session it opened: its push stream's stop, and its figures' lease.</summary>
    private sealed class OpenedHere(string statsKey)
    {
        public string StatsKey => statsKey;

        private readonly CancellationTokenSource _ended = new();
        private IDisposable? _figures;

        public CancellationToken Ended => _ended.Token;

        public void Track(IDisposable figures) => Interlocked.Exchange(ref _figures, figures)?.Dispose();

        public void End()
        {
            Interlocked.Exchange(ref _figures, null)?.Dispose();
            _ended.Cancel();
        }
    }
}

/// <summary>Runs <see cref="RedisSessionStore.UpkeepAsync"/> every second (readers refreshed every third of the idle timeout).</summary>
internal sealed class RedisSessionUpkeep(RedisSessionStore store, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var idle = store.Options.IdleTimeout;
        var period = TimeSpan.FromTicks(Math.Clamp(idle.Ticks / 4, TimeSpan.TicksPerMillisecond * 10, TimeSpan.TicksPerSecond));
        int refreshEvery = Math.Max(1, (int)(idle.Ticks / 3 / period.Ticks));
        using var timer = new PeriodicTimer(period, time);
        long tick = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await store.UpkeepAsync(tick++ % refreshEvery == 0);
                }
                catch (SessionStoreUnavailableException ex)
                {
                    RedisSessionStore.UpkeepFailed(store.Logger, ex.InnerException?.Message ?? ex.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Host is stopping.
        }
    }
}
