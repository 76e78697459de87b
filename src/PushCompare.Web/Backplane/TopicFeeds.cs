using System.Collections.Concurrent;
using PushCompare.Web.Sessions;
using StackExchange.Redis;

namespace PushCompare.Web.Backplane;

/// <summary>
/// How a topic's broadcasts reach the sessions subscribed to it (docs/protocol.md, "Topics" and "Redis"). A publish
/// writes the broadcast once into the topic's log, <c>{prefix}topic:{name}:log</c>, and announces it on the topic's
/// sharded feed channel; each session takes it into its own log by its own cursor (<see cref="RedisScripts.Absorb"/>):
/// at once when one of its readers is attached on an instance (which listens to the feed while it holds such readers),
/// otherwise when a reader next attaches. So a publish costs Redis the same for one subscriber or ten thousand, and a
/// subscriber misses nothing published while it was subscribed: what it has not taken stays in the topic's log.
/// </summary>
internal sealed partial class TopicFeeds(IConnectionMultiplexer redis, RedisSessionStore store, ILogger logger)
{
    private readonly ConcurrentDictionary<string, Feed> _feeds = new(StringComparer.Ordinal);
    private static readonly TimeSpan Linger = TimeSpan.FromSeconds(10); // a feed outlives its last reader, for the next poll

    /// <summary>The topic's log and its set of session subscribers: one hash slot, the topic's name its hash tag.</summary>
    public RedisKey LogKey(string topic) => store.KeyPrefix + "topic:{" + topic + "}:log";

    public RedisKey SessionsKey(string topic) => store.KeyPrefix + "topic:{" + topic + "}:sessions";

    /// <summary>Where WebSocket subscribers' instances hear a broadcast, "&lt;n&gt; &lt;ms&gt; &lt;text&gt;".</summary>
    public RedisChannel LiveChannel(string topic) => RedisChannel.Sharded(store.KeyPrefix + "topic:{" + topic + "}");

    public RedisChannel FeedChannel(string topic) => RedisChannel.Sharded(store.KeyPrefix + "topic:{" + topic + "}:feed");

    /// <summary>Broadcasts kept in a topic's log: a session further behind than this has overflowed its backlog anyway.</summary>
    public int Kept => store.Options.MaxBacklogMessages;

    /// <summary>
    /// A reader of session <paramref name="id"/>, subscribed to <paramref name="topic"/>, attaches here: the feed is
    /// listened to (before the attach reads the session's topic cursor, so nothing published after it is missed).
    /// </summary>
    public async Task ReaderArrivesAsync(string topic, string id)
    {
        var feed = _feeds.GetOrAdd(topic, t => new Feed(t));
        lock (feed)
        {
            feed.Readers[id] = feed.Readers.GetValueOrDefault(id) + 1;
            feed.Listening ??= ListenAsync(feed);
        }
        try
        {
            await feed.Listening;
        }
        catch
        {
            lock (feed) if (feed.Listening.IsFaulted) feed.Listening = null; // the next reader tries again
            ReaderLeaves(topic, id);
            throw;
        }
    }

    public void ReaderLeaves(string topic, string id)
    {
        if (!_feeds.TryGetValue(topic, out var feed)) return;
        lock (feed)
        {
            if (!feed.Readers.TryGetValue(id, out int n)) return;
            if (n > 1) feed.Readers[id] = n - 1;
            else feed.Readers.Remove(id);
            if (feed.Readers.Count == 0) _ = StopLaterAsync(feed);
        }
    }

    private async Task StopLaterAsync(Feed feed)
    {
        await Task.Delay(Linger);
        Task? listening;
        lock (feed)
        {
            if (feed.Readers.Count > 0 || feed.Listening is null) return;
            listening = feed.Listening;
            feed.Listening = null;
        }
        try
        {
            await listening;
            await redis.GetSubscriber().UnsubscribeAsync(FeedChannel(feed.Topic));
        }
        catch (Exception ex) when (RedisSessionStore.IsOutage(ex) || ex is SessionStoreUnavailableException)
        {
            // Never listened, or Redis is gone: nothing to stop.
        }
    }

    private async Task ListenAsync(Feed feed)
    {
        try
        {
            await redis.GetSubscriber().SubscribeAsync(FeedChannel(feed.Topic), (channel, entry) => _ = OnBroadcastAsync(feed, (string)entry!));
        }
        catch (Exception ex) when (RedisSessionStore.IsOutage(ex))
        {
            throw new SessionStoreUnavailableException("The session store (Redis) is unavailable.", ex);
        }
    }

    // A broadcast on a feed this instance listens to: every session read here takes it (one script each, pipelined).
    private async Task OnBroadcastAsync(Feed feed, string entry)
    {
        var parts = entry.Split(' ', 3);
        if (parts.Length != 3) return;
        string[] ids;
        lock (feed) ids = [.. feed.Readers.Keys];
        await Task.WhenAll(ids.Select(id => TakeAsync(feed.Topic, id, parts)));
    }

    private async Task TakeAsync(string topic, string id, string[] broadcast)
    {
        try
        {
            var r = await store.QueueAsync(RedisScripts.Absorb, id, "", store.Instance, broadcast[0], broadcast[1], broadcast[2]);
            switch (RedisSessionStore.Status(r))
            {
                case "ok":
                    return;
                case "behind": // a broadcast between was not heard here (or raced this one): the log has it
                    var caught = await CatchUpAsync(topic, id, (long)r[1], long.Parse(broadcast[0], System.Globalization.CultureInfo.InvariantCulture), null);
                    if (caught is not null && RedisSessionStore.Status(caught) is "closed" or "gone") await store.EndedAsync(id, caught);
                    return;
                default:
                    await store.EndedAsync(id, r);
                    return;
            }
        }
        catch (SessionStoreUnavailableException ex)
        {
            // The reader's next attach takes it from the topic's log.
            TakeFailed(logger, topic, ex.InnerException?.Message ?? ex.Message);
        }
    }

    /// <summary>The topic's last broadcast number (pipelined beside an attach, so it costs no round trip of its own).</summary>
    public Task<RedisValue> HeadAsync(string topic) => store.Database.HashGetAsync(LogKey(topic), "n");

    /// <summary>
    /// Takes broadcasts <paramref name="cursor"/> + 1 .. <paramref name="head"/> from the topic's log into the session's;
    /// with <paramref name="after"/>, what the session's log holds after it from those (the attach's answer).
    /// Null when nothing was to take; a closed or gone answer when the session ended (a broadcast no longer in the
    /// topic's log means more came than its backlog may hold).
    /// </summary>
    public async Task<RedisResult[]?> CatchUpAsync(string topic, string id, long cursor, long head, long? after)
    {
        if (head <= cursor) return null;
        var fields = new RedisValue[head - cursor];
        for (long b = cursor + 1; b <= head; b++) fields[b - cursor - 1] = "m" + b;
        var entries = await RedisSessionStore.Guard(store.Database.HashGetAsync(LogKey(topic), fields));
        var args = new List<RedisValue> { after is { } a ? a : RedisValue.EmptyString, store.Instance };
        foreach (var entry in entries)
        {
            if (entry.IsNull) return await store.EvalAsync(RedisScripts.Close, id, RedisScripts.BacklogReason); // trimmed: overflowed
            args.AddRange(((string)entry!).Split(' ', 3).Select(p => (RedisValue)p));
        }
        return await store.QueueAsync(RedisScripts.Absorb, id, [.. args]);
    }

    [LoggerMessage(EventId = 241, Level = LogLevel.Warning, Message = "A broadcast on topic {Topic} could not be taken into a session's log ({Reason}); its reader's next attach takes it")]
    private static partial void TakeFailed(ILogger logger, string topic, string reason);

    private sealed class Feed(string topic)
    {
        public string Topic => topic;
        public readonly Dictionary<string, int> Readers = new(StringComparer.Ordinal); // session id -> its readers here
        public Task? Listening; // subscribed (or subscribing) to the feed channel
    }
}
