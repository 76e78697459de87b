using System.Collections.Concurrent;
using System.Globalization;
using PushCompare.Web.Topics;
using StackExchange.Redis;

namespace PushCompare.Web.Backplane;

/// <summary>
/// Topics across instances (docs/protocol.md, "Topics" and "Redis"). Session subscribers are ids in a Redis set per
/// topic, <c>{prefix}topic:{name}:sessions</c>; a publish is one script (<see cref="RedisScripts.Publish"/>) that appends
/// to each of their logs as a reply is appended and wakes their readers on whichever instance holds them. Live
/// subscribers (WebSockets) stay objects on their instance: while it holds any of a topic's, the instance subscribes
/// once to the channel <c>{prefix}topic:{name}</c>, which the same script PUBLISHes to, and offers what arrives to them
/// (pub/sub is at-most-once, as a WebSocket's delivery is anyway). Redis orders all publishes to a topic, from any
/// instance, because each runs as one script.
/// </summary>
internal sealed partial class RedisTopicBus(IConnectionMultiplexer redis, RedisSessionStore store, ILogger<RedisTopicBus> logger) : ITopicBus
{
    private readonly Lock _gate = new(); // guards _live and each topic's membership, so an empty topic unsubscribes without a race
    private readonly Dictionary<string, LiveTopic> _live = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _sessionsHere = new(StringComparer.Ordinal); // subscribed through this instance

    private RedisChannel Channel(string topic) => RedisChannel.Literal(store.KeyPrefix + "topic:" + topic);

    public async ValueTask<IDisposable> SubscribeSessionAsync(string topic, string sessionId)
    {
        // A session that closed meanwhile is not added (the publish drops it); it unsubscribes nothing then either.
        var marked = store.EvalAsync(RedisScripts.Subscribe, sessionId, topic);
        var added = store.Database.SetAddAsync(store.TopicSessionsKey(topic), sessionId);
        await marked;
        await RedisSessionStore.Guard(added);
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
        var result = await store.EvalAsync(RedisScripts.Publish, [store.TopicSessionsKey(topic)], "", text, Channel(topic).ToString());
        for (int i = 2; i + 2 < result.Length; i += 3) // sessions the broadcast closed (backlog full)
            await store.ForgetClosedAsync((string)result[i]!, (string)result[i + 1]!, (string)result[i + 2]!, "");
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
        var channel = Channel(topic);
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

    private static void Deliver(LiveTopic live, string payload)
    {
        int space = payload.IndexOf(' ', StringComparison.Ordinal);
        var message = new Broadcast(payload[(space + 1)..],
            RedisSessionStore.LocalTimestampOf(long.Parse(payload.AsSpan(0, space), CultureInfo.InvariantCulture)));
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
            store.Database.SetRemove(store.TopicSessionsKey(topic), sessionId, CommandFlags.FireAndForget);
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
