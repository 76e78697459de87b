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
    private readonly ConcurrentDictionary<string, Facts> _facts = new(StringComparer.Ordinal); // what never changes, by id
    private ConcurrentDictionary<string, (string Transport, string? Topic)> _touched = new(StringComparer.Ordinal); // by id, since the last upkeep
    private ConcurrentDictionary<string, byte> _rechecks = new(StringComparer.Ordinal); // sessions whose readers here look in the log again at the next upkeep
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
        Feeds = new TopicFeeds(redis, this, logger);
        // A notice published while the subscription was down is lost: every waiting reader re-reads once it is back.
        _redis.ConnectionRestored += (_, _) => _wakeups.RereadAll();
    }

    /// <summary>This instance's name in Redis (its wake-up channel); random per process.</summary>
    public string Instance { get; }

    public MessageSessionOptions Options => _options;

    public bool IsDraining => Volatile.Read(ref _draining) == 1;

    public bool IsShared => true;

    public string KeyPrefix => _prefix;

    public int OpenCountOf(TransportDescriptor transport) => _openCounts.GetOrAdd(transport, 0);

    internal IDatabase Database => _redis.GetDatabase();

    /// <summary>The session's one key; the id in braces is its hash tag, so a cluster keeps it whole on one node.</summary>
    internal RedisKey SessionKey(string id) => _prefix + "s:{" + id + "}";

    // Every open session, and those of one transport (score: expiry deadline, Unix ms): one hash slot, apart from the sessions.
    private RedisKey OpenKey(string? transportId = null) => "{" + _prefix + "}open" + (transportId is null ? "" : ":" + transportId);

    internal RedisKey FiguresKey(string statsKey) => _prefix + "f:" + statsKey;

    /// <summary>How broadcasts reach this deployment's sessions.</summary>
    internal TopicFeeds Feeds { get; }

    public async ValueTask<SessionOpening> OpenAsync(TransportDescriptor transport, EchoMode mode, TimeSpan defaultWait)
    {
        if (IsDraining) return new(null, OpenRefusal.ShuttingDown);
        var ids = await ReadyAsync();
        string id = ids.NewId();
        string statsKey = ids.StatsKey(id);
        long now = NowMs(), idle = (long)_options.IdleTimeout.TotalMilliseconds;
        var place = await Guard(Database.ScriptEvaluateAsync(RedisScripts.Reserve, [OpenKey(), OpenKey(transport.Id)],
            [now, idle, _options.MaxSessions, id]));
        if (Status((RedisResult[])place!) != "ok") return new(null, OpenRefusal.TooMany);
        var opened = new OpenedHere(statsKey);
        _openedHere[id] = opened; // before the script: a close on another instance may notify this one at once
        var db = Database;
        RedisKey figures = FiguresKey(statsKey);
        // Pipelined: the session and its figures' header go in one round trip (two keys, two hash slots, no script spans both).
        var session = EvalAsync(RedisScripts.Open, id, transport.Id, mode == EchoMode.Exact ? "exact" : "received",
            (long)defaultWait.TotalMilliseconds, statsKey, _options.MaxBacklogMessages, _options.MaxBacklogBytes, Instance);
        var header = db.HashSetAsync(figures, [new("open", 1), new("tr", transport.Id), new("opened", now)]);
        var lease = db.KeyExpireAsync(figures, TimeSpan.FromDays(1));
        await Guard(WhenAll([session, header, lease]));
        Remember(id, new Facts(transport, mode, defaultWait, statsKey, null, null));
        return new(new RedisSession(this, id, statsKey, transport, mode, defaultWait, null), OpenRefusal.None);
    }

    public async ValueTask<SessionFound> FindAsync(string id)
    {
        var ids = await ReadyAsync();
        if (!ids.WasIssued(id)) return new(null, false, null); // never issued (by any instance): no round trip
        if (!_facts.TryGetValue(id, out var facts))
        {
            // What never changes about a session is read once per instance; what does is in each operation's answer.
            var fields = await Guard(Database.HashGetAsync(SessionKey(id), ["tr", "mode", "wait", "sk", "closed", "topic"]));
            if (fields[0].IsNull || _transports.All.FirstOrDefault(t => t.Id == fields[0]) is not { } transport)
                return new(null, true, ids.StatsKey(id)); // expired (its key's TTL ran out) or closed long enough ago
            facts = new Facts(transport, fields[1] == "exact" ? EchoMode.Exact : EchoMode.Prefixed, TimeSpan.FromMilliseconds((long)fields[2]),
                fields[3]!, fields[4].IsNull ? null : (string)fields[4]!, fields[5].IsNull ? null : (string)fields[5]!);
            Remember(id, facts);
        }
        var session = new RedisSession(this, id, facts.StatsKey, facts.Transport, facts.Mode, facts.Wait, facts.Closed is { } closed ? Reason(closed) : null);
        return new(session, true, session.StatsKey);
    }

    private void Remember(string id, Facts facts)
    {
        // Bounded: past the limit the cache starts over, and each session costs one read again on its next request.
        if (_facts.Count >= FactsLimit) _facts.Clear();
        _facts[id] = facts;
    }

    private int FactsLimit => Math.Max(1024, _options.MaxSessions * 2);

    public async ValueTask<bool> AppendAsync(string id, string text)
    {
        var ids = await ReadyAsync();
        return ids.WasIssued(id) && await EnqueueAsync(id, text);
    }

    internal async ValueTask<bool> EnqueueAsync(string id, string text)
    {
        var result = await QueueAsync(RedisScripts.Enqueue, id, text, Instance);
        if (Status(result) == "ok") return true;
        await EndedAsync(id, result);
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
        _wakeups.RereadAll();
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

    /// <summary>A notice said the session closed with <paramref name="stored"/>: this instance remembers why; the reason in words.</summary>
    internal string Ended(string id, string stored)
    {
        if (_facts.TryGetValue(id, out var facts)) _facts[id] = facts with { Closed = stored };
        ForgetOpened(id);
        return Reason(stored);
    }

    /// <summary>
    /// A script answered {'closed', reason, closed now, transport, stats key, topic} or {'gone'}: this instance remembers
    /// it, and when the script itself closed the session, takes it out of what spans hash slots (the open sets, its
    /// figures, its topic). The reason in words, null when the session expired.
    /// </summary>
    internal async Task<string?> EndedAsync(string id, RedisResult[] result)
    {
        if (Status(result) != "closed")
        {
            _facts.TryRemove(id, out _);
            ForgetOpened(id);
            return null;
        }
        string stored = (string)result[1]!;
        if ((string?)result[2] == "1") await ForgetClosedAsync(id, (string)result[3]!, (string)result[4]!, (string)result[5]!);
        return Ended(id, stored);
    }

    /// <summary>What a close leaves to do outside the session's own key, in one round trip.</summary>
    internal Task ForgetClosedAsync(string id, string transportId, string statsKey, string topic)
    {
        var db = Database;
        var batch = new List<Task>
        {
            db.SortedSetRemoveAsync(OpenKey(), id),
            db.SortedSetRemoveAsync(OpenKey(transportId), id),
            db.HashSetAsync(FiguresKey(statsKey), "open", 0),
        };
        if (topic.Length > 0) batch.Add(db.SortedSetRemoveAsync(Feeds.SessionsKey(topic), id));
        return Guard(WhenAll(batch));
    }

    private static async Task<bool> WhenAll(List<Task> tasks)
    {
        await Task.WhenAll(tasks);
        return true;
    }

    /// <summary>The topic session <paramref name="id"/> takes broadcasts of, as far as this instance knows (null: none).</summary>
    internal string? TopicOf(string id) => _facts.TryGetValue(id, out var facts) ? facts.Topic : null;

    /// <summary>Session <paramref name="id"/> now takes the broadcasts of <paramref name="topic"/>.</summary>
    internal void SubscribedTo(string id, string topic)
    {
        if (_facts.TryGetValue(id, out var facts)) _facts[id] = facts with { Topic = topic };
    }

    /// <summary>An operation through this instance kept the session alive: its place in the open sets is refreshed with the next upkeep.</summary>
    internal void Touched(string id, TransportDescriptor transport) => _touched[id] = (transport.Id, TopicOf(id));

    /// <summary>A session script: KEYS = { the session's hash }, ARGV = { idle ms, now ms, .. <paramref name="args"/> }.</summary>
    internal async Task<RedisResult[]> EvalAsync(string script, string id, params RedisValue[] args)
    {
        await ReadyAsync();
        RedisValue[] values = [(long)_options.IdleTimeout.TotalMilliseconds, NowMs(), .. args];
        var result = await Guard(Database.ScriptEvaluateAsync(script, [SessionKey(id)], values));
        return (RedisResult[])result!;
    }

    /// <summary>
    /// A script that queues messages (with this instance's name among its arguments): its answer carries the
    /// messages for readers here, which this instance hands over itself instead of Redis publishing them back to it.
    /// When the answer does not come in time, the script may still have run (a frozen Redis runs it when it wakes) and
    /// handed a reader here a message it never heard of: that reader looks in the log now, and again with every upkeep
    /// until Redis answers (<see cref="RecheckLater"/>), without ending its stream or poll meanwhile.
    /// </summary>
    internal async Task<RedisResult[]> QueueAsync(string script, string id, params RedisValue[] args)
    {
        RedisResult[] result;
        try
        {
            result = await EvalAsync(script, id, args);
        }
        catch (SessionStoreUnavailableException ex) when (ex.InnerException is RedisTimeoutException)
        {
            _wakeups.Post(id, new Notice(NoticeKind.Recheck));
            throw;
        }
        var notices = Status(result) switch { "ok" => result[1], "behind" => result[2], _ => null };
        if (notices is not null)
            foreach (var notice in (RedisResult[])notices!) OnNotice((string)notice!);
        return result;
    }

    /// <summary>
    /// The time a message is stamped with where it is queued, Unix ms on that instance's clock (instances keep their
    /// clocks in step, as any deployment does; one box in the bench): no <c>TIME</c> call on Redis per message.
    /// </summary>
    internal static long NowMs() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    /// <summary>
    /// This machine's Stopwatch timestamp for a moment stamped with <see cref="NowMs"/> on some instance, at least 1: where
    /// a message's latency starts when another instance queued it (docs/measuring.md).
    /// </summary>
    internal static long LocalTimestampOf(long redisMs)
    {
        long nowTs = Stopwatch.GetTimestamp(), nowMs = NowMs();
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
        _ = LoadScriptsAsync(); // meanwhile a first call loads its own script: no request waits for all of them
        return new SessionIds(key);
    }

    // Each script is sent to every primary once, here, so no SCRIPT LOAD falls inside a request (the client sends
    // EVALSHA from then on, and reloads a script by itself should a restarted server have forgotten it).
    private async Task LoadScriptsAsync()
    {
        try
        {
            foreach (var endpoint in _redis.GetEndPoints())
            {
                var server = _redis.GetServer(endpoint);
                if (!server.IsConnected || server.IsReplica) continue;
                foreach (string script in RedisScripts.All) await server.ScriptLoadAsync(script);
            }
        }
        catch (Exception ex) when (IsOutage(ex))
        {
            // Unreachable now: each script is loaded with its first call instead.
        }
    }

    private async Task<bool> SubscribeAsync()
    {
        await _redis.GetSubscriber().SubscribeAsync(_channel, (_, notice) => OnNotice(notice!));
        return true;
    }

    // A message handed to a reader here, a reader superseded, a session closed (see RedisScripts).
    private void OnNotice(string payload)
    {
        if (!Notice.TryParse(payload, out string id, out var notice)) return;
        if (notice.Kind == NoticeKind.Closed) Ended(id, notice.Text!);
        _wakeups.Post(id, notice);
    }

    // ---- upkeep, run by RedisSessionUpkeep ----

    /// <summary>
    /// Keeps the sessions this instance reads alive (an open stream or held poll is activity, as in memory), forgets
    /// sessions it opened that expired, and refreshes the open counts /api/stats shows.
    /// </summary>
    internal async Task UpkeepAsync(bool refreshReaders)
    {
        foreach (var id in Interlocked.Exchange(ref _rechecks, new(StringComparer.Ordinal)).Keys) _wakeups.Post(id, new Notice(NoticeKind.Recheck));
        var db = Database;
        var batch = new List<Task>();
        if (refreshReaders)
        {
            foreach (var (id, reader) in _readersHere.Keys) batch.Add(RefreshAsync(id, reader));
            foreach (var id in _openedHere.Keys) batch.Add(ForgetIfGoneAsync(db, id));
        }
        long now = NowMs();
        // The sessions used through this instance since the last upkeep keep their places in the open sets: one ZADD a
        // set, instead of a sorted-set write in every request's script.
        var touched = Interlocked.Exchange(ref _touched, new(StringComparer.Ordinal));
        if (!touched.IsEmpty)
        {
            double deadline = now + _options.IdleTimeout.TotalMilliseconds;
            batch.Add(db.SortedSetAddAsync(OpenKey(), [.. touched.Keys.Select(id => new SortedSetEntry(id, deadline))], SortedSetWhen.Exists));
            foreach (var group in touched.GroupBy(t => t.Value.Transport))
                batch.Add(db.SortedSetAddAsync(OpenKey(group.Key), [.. group.Select(t => new SortedSetEntry(t.Key, deadline))], SortedSetWhen.Exists));
            foreach (var group in touched.Where(t => t.Value.Topic is not null).GroupBy(t => t.Value.Topic!))
                batch.Add(db.SortedSetAddAsync(Feeds.SessionsKey(group.Key), [.. group.Select(t => new SortedSetEntry(t.Key, deadline))], SortedSetWhen.Exists));
        }
        foreach (var transport in _transports.Transports)
        {
            if (transport.Keying != SessionKeying.ServerIssued) continue;
            batch.Add(CountAsync(db, transport, now));
        }
        // This instance's heartbeat: who is alive to add its share of a session's figures when asked.
        batch.Add(db.SortedSetAddAsync(InstancesKey, Instance, now + InstanceLease.TotalMilliseconds));
        batch.Add(db.SortedSetRemoveRangeByScoreAsync(InstancesKey, double.NegativeInfinity, now));
        await Guard(WhenAll(batch));
    }

    private RedisKey InstancesKey => "{" + _prefix + "}instances";

    private static readonly TimeSpan InstanceLease = TimeSpan.FromSeconds(5);

    /// <summary>How many other instances have sent a heartbeat within the last few seconds.</summary>
    internal async Task<int> OtherInstancesAsync()
    {
        var db = Database;
        var counting = db.SortedSetLengthAsync(InstancesKey, NowMs(), double.PositiveInfinity, Exclude.Start);
        var mine = db.SortedSetScoreAsync(InstancesKey, Instance);
        long live = await Guard(counting);
        bool self = await Guard(mine) is not null;
        return (int)Math.Max(0, live - (self ? 1 : 0));
    }

    private async Task RefreshAsync(string id, long reader)
    {
        var r = await EvalAsync(RedisScripts.Refresh, id, reader);
        if (Status(r) == "ok" && _facts.TryGetValue(id, out var facts)) Touched(id, facts.Transport);
    }

    private async Task ForgetIfGoneAsync(IDatabase db, string id)
    {
        var fields = await Guard(db.HashGetAsync(SessionKey(id), ["tr", "closed"]));
        if (!fields[0].IsNull && fields[1].IsNull) return;
        // Expired (a close already cleared it): the summed figures say the session is no longer open.
        if (fields[0].IsNull && _openedHere.TryGetValue(id, out var opened))
            await Guard(db.HashSetAsync(FiguresKey(opened.StatsKey), "open", 0));
        _facts.TryRemove(id, out _);
        ForgetOpened(id);
    }

    private async Task CountAsync(IDatabase db, TransportDescriptor transport, long nowMs)
    {
        long open = await Guard(db.SortedSetLengthAsync(OpenKey(transport.Id), nowMs, double.PositiveInfinity, Exclude.Start));
        _openCounts[transport] = (int)Math.Min(open, int.MaxValue);
    }

    internal int ReadersHere => _readersHere.Count;

    /// <summary>A reader's look after a lost answer failed too: its session's readers here look again with the next upkeep.</summary>
    internal void RecheckLater(string id) => _rechecks[id] = 0;

    [LoggerMessage(EventId = 230, Level = LogLevel.Warning, Message = "Session upkeep could not reach Redis ({Reason}); it retries")]
    internal static partial void UpkeepFailed(ILogger logger, string reason);

    internal ILogger Logger => _logger;

    /// <summary>What never changes about a session, and the reason it closed once this instance learnt it.</summary>
    private sealed record Facts(TransportDescriptor Transport, EchoMode Mode, TimeSpan Wait, string StatsKey, string? Closed, string? Topic);

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
