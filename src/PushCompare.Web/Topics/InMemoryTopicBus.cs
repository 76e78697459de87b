using System.Collections.Concurrent;
using PushCompare.Metering;
using PushCompare.Web.Sessions;

namespace PushCompare.Web.Topics;

/// <summary>
/// The single-instance bus: subscribers in memory, session subscribers reached through the <see cref="ISessionStore"/>
/// by id. Locks, in the only order they are taken: a topic's publishing turn, then (inside the store) a session's;
/// and a session's lock, then the bus's (a session that closes unsubscribes from inside its close). Publishing never
/// holds the bus's lock, so the two orders never meet.
/// </summary>
internal sealed class InMemoryTopicBus(ISessionStore sessions) : ITopicBus
{
    private readonly Lock _gate = new(); // guards _topics and topic membership, so an empty topic is removed without a race
    private readonly Dictionary<string, Topic> _topics = new(StringComparer.Ordinal);

    private sealed class Topic
    {
        public readonly SemaphoreSlim Publishing = new(1, 1); // one publisher at a time; a session append may await its store
        // Enumerated by a publisher while subscribers come and go: ConcurrentDictionary's enumeration allows that.
        public readonly ConcurrentDictionary<Subscription, byte> Members = new();
    }

    public ValueTask<IDisposable> SubscribeSessionAsync(string topic, string sessionId) =>
        ValueTask.FromResult<IDisposable>(Add(topic, new Subscription(this, topic, sessionId, null)));

    public IDisposable SubscribeLive(string topic, ILiveSubscriber subscriber) => Add(topic, new Subscription(this, topic, null, subscriber));

    public async ValueTask<int> PublishAsync(string topic, string text, CancellationToken cancel)
    {
        Topic? found;
        lock (_gate) _topics.TryGetValue(topic, out found);
        if (found is null) return 0;
        var message = new Broadcast(text, MessageMetering.Now());
        int taken = 0;
        // One publisher at a time per topic: every subscriber sees the topic's messages in the same order. Each delivery
        // is a queue append (a session's log, a socket's bounded queue), never a wait on a client.
        await found.Publishing.WaitAsync(cancel);
        try
        {
            foreach (var subscription in found.Members.Keys)
            {
                bool took = subscription.SessionId is { } id ? await sessions.AppendAsync(id, text) : subscription.Live!.Offer(message);
                if (took) taken++;
            }
        }
        finally
        {
            found.Publishing.Release();
        }
        return taken;
    }

    public int SubscriberCount(string topic)
    {
        lock (_gate) return _topics.TryGetValue(topic, out var found) ? found.Members.Count : 0;
    }

    private Subscription Add(string topic, Subscription subscription)
    {
        lock (_gate)
        {
            if (!_topics.TryGetValue(topic, out var found)) _topics[topic] = found = new Topic();
            found.Members[subscription] = 0;
        }
        return subscription;
    }

    private void Remove(Subscription subscription)
    {
        lock (_gate)
        {
            if (!_topics.TryGetValue(subscription.TopicName, out var found) || !found.Members.TryRemove(subscription, out _)) return;
            if (found.Members.IsEmpty) _topics.Remove(subscription.TopicName); // no subscriber left: the topic's memory goes too
        }
    }

    private sealed class Subscription(InMemoryTopicBus bus, string topic, string? sessionId, ILiveSubscriber? live) : IDisposable
    {
        public string TopicName { get; } = topic;
        public string? SessionId { get; } = sessionId;
        public ILiveSubscriber? Live { get; } = live;

        public void Dispose() => bus.Remove(this); // twice is harmless: the second finds nothing to remove
    }
}
