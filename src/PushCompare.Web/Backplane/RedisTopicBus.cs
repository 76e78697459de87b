using System.Collections.Concurrent;
using System.Globalization;
using PushCompare.Web.Topics;
using StackExchange.Redis;

namespace PushCompare.Web.Backplane;

/// <summary>
/// Topics across instances (docs/protocol.md, "Topics" and "Redis"). A publish is one script on the topic's own hash
/// slot (<see cref="RedisScripts.Publish"/>): the broadcast is numbered and written once into the topic's log, and
/// announced on the topic's sharded channels; session subscribers (ids in <c>{prefix}topic:{name}:sessions</c>, a sorted
/// set whose scores are their sessions' expiry deadlines, so one whose instance died drops out by itself) take it
/// into their own logs by their own cursors (<see cref="TopicFeeds"/>). Live subscribers (WebSockets) stay objects on
/// their instance: while it holds any of a topic's, the instance listens to the channel <c>{prefix}topic:{name}</c>
/// (SSUBSCRIBE) and offers what arrives to them (pub/sub is at-most-once, as a WebSocket's delivery is anyway). Redis
/// orders all publishes to a topic, from any instance, because each runs as one script.
/// </summary>
internal sealed partial class RedisTopicBus(IConnectionMultiplexer redis, RedisSessionStore store, ILogger<RedisTopicBus> logger) : ITopicBus
{
    private readonly Lock _gate = new(); // guards _live and each topic's membership, so an empty topic unsubscribes without a race
    private readonly Dictionary<string, LiveTopic> _live = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _sessionsHere = new(StringComparer.Ordinal); // subscribed through this instance

    public async ValueTask<IDisposable> SubscribeSessionAsync(string topic, string sessionId)
    {
        // Joined first: the session then takes every broadcast after the topic's last one at that moment.
        var feeds = store.Feeds;
        var joined = await RedisSessionStore.Guard(store.Database.ScriptEvaluateAsync(RedisScripts.Join,
            [feeds.LogKey(topic), feeds.SessionsKey(topic)], [sessionId, RedisSessionStore.NowMs() + (long)store.Options.IdleTimeout.TotalMilliseconds]));
        await store.EvalAsync(RedisScripts.Subscribe, sessionId, topic, (long)joined);
        store.SubscribedTo(sessionId, topic);
        _sessionsHere.AddOrUpdate(topic, 1, (_, n) => n + 1);
        return new SessionSubscription(this, topic, sessionId);
    }

    public IDisposable SubscribeLive(string topic, ILiveSubscriber subscriber)
    {
        var subscription = new LiveSubscription(this, topic, subscriber);
        LiveTopic? created = null;
        lock (_gate)
        {
            if (!_live.TryGetValue(topic, out var found)) _live[topic] = found = created = new LiveTopic();
            found.Members[subscription] = 0;
        }
        if (created is not null) _ = ListenAsync(topic, created); // outside the lock: it takes the lock when subscribed
        return subscription;
    }

    public async ValueTask<int> PublishAsync(string topic, string text, CancellationToken cancel)
    {
        // Not cancelled with the request: once sent, the script runs whole or not at all, and its answer is the publish's.
        var feeds = store.Feeds;
        var result = (RedisResult[])(await RedisSessionStore.Guard(store.Database.ScriptEvaluateAsync(RedisScripts.Publish,
            [feeds.LogKey(topic), feeds.SessionsKey(topic)],
            [RedisSessionStore.NowMs(), text, feeds.Kept, feeds.LiveChannel(topic).ToString(), feeds.FeedChannel(topic).ToString()])))!;
        return (int)result[0] + (int)result[1];
    }

    /// <summary>Sessions subscribed through this instance, and live subscribers here once their channel subscription is in place.</summary>
    public int SubscriberCount(string topic)
    {
        int sessions = _sessionsHere.TryGetValue(topic, out int n) ? n : 0;
        lock (_gate) return sessions + (_live.TryGetValue(topic, out var found) && found.Listening ? found.Members.Count : 0);
    }

    // Subscribes this instance to the topic's channel, retrying while Redis is unreachable and the topic still has live
    // subscribers here. ChannelMessageQueue.OnMessage handles one message at a time, so sockets get them in Redis's order.
    private async Task ListenAsync(string topic, LiveTopic live)
    {
        var channel = store.Feeds.LiveChannel(topic);
        while (true)
        {
            try
            {
                var queue = await redis.GetSubscriber().SubscribeAsync(channel);
                queue.OnMessage(message => Deliver(live, (string)message.Message!));
                lock (_gate)
                {
                    if (live.Dropped)
                    {
                        _ = queue.UnsubscribeAsync(CommandFlags.FireAndForget); // the last subscriber left while subscribing
                        return;
                    }
                    live.Queue = queue;
                }
                return;
            }
            catch (Exception ex) when (RedisSessionStore.IsOutage(ex))
            {
                ListenFailed(logger, topic, ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(1));
                lock (_gate) if (live.Dropped) return;
            }
        }
    }

    // "<number> <ms> <text>".
    private static void Deliver(LiveTopic live, string payload)
    {
        var parts = payload.Split(' ', 3);
        if (parts.Length != 3) return;
        var message = new Broadcast(parts[2], RedisSessionStore.LocalTimestampOf(long.Parse(parts[1], CultureInfo.InvariantCulture)));
        foreach (var subscriber in live.Members.Keys) subscriber.Live.Offer(message); // a refusal resets that socket only
    }

    private void RemoveLive(LiveSubscription subscription)
    {
        lock (_gate)
        {
            if (!_live.TryGetValue(subscription.Topic, out var found) || !found.Members.TryRemove(subscription, out _) || !found.Members.IsEmpty) return;
            _live.Remove(subscription.Topic);
            found.Dropped = true;
            // No live subscriber of the topic left here: stop receiving its channel (still subscribing: ListenAsync drops it).
            _ = found.Queue?.UnsubscribeAsync(CommandFlags.FireAndForget);
        }
    }

    private void RemoveSession(string topic, string sessionId)
    {
        _sessionsHere.AddOrUpdate(topic, 0, (_, n) => n - 1);
        _sessionsHere.TryRemove(KeyValuePair.Create(topic, 0));
        try
        {
            store.Database.SortedSetRemove(store.Feeds.SessionsKey(topic), sessionId, CommandFlags.FireAndForget);
        }
        catch (Exception ex) when (RedisSessionStore.IsOutage(ex))
        {
            // Runs inside the session's end (a cancellation callback), so it must not throw: the next publish drops the
            // id anyway, since its session is closed or gone.
        }
    }

    [LoggerMessage(EventId = 240, Level = LogLevel.Warning, Message = "Could not subscribe to topic {Topic}'s channel on Redis ({Reason}); retrying")]
    private static partial void ListenFailed(ILogger logger, string topic, string reason);

    private sealed class LiveTopic
    {
        // Enumerated by the delivery while sockets come and go: ConcurrentDictionary's enumeration allows that.
        public readonly ConcurrentDictionary<LiveSubscription, byte> Members = new();
        public ChannelMessageQueue? Queue; // set once subscribed
        public bool Dropped;
        public bool Listening => Queue is not null;
    }

    private sealed class LiveSubscription(RedisTopicBus bus, string topic, ILiveSubscriber live) : IDisposable
    {
        public string Topic => topic;
        public ILiveSubscriber Live => live;

        public void Dispose() => bus.RemoveLive(this); // twice is harmless: the second finds nothing to remove
    }

    private sealed class SessionSubscription(RedisTopicBus bus, string topic, string sessionId) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) bus.RemoveSession(topic, sessionId);
        }
    }
}
