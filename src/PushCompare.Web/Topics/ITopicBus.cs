namespace PushCompare.Web.Topics;

/// <summary>
/// Where broadcasts go: every subscriber of a topic gets every message published to it. Two kinds of subscriber, because
/// they are delivered to differently (and differ again once the bus spans instances, docs/protocol.md "Topics"):
/// a polling or SSE session, named by its id, whose numbered log the message is appended to through the session store
/// (so it is acknowledged and resent like any reply), and a live connection on this instance (a WebSocket) that takes
/// the message at once or not at all. The bus never holds a session object, only its id.
/// </summary>
internal interface ITopicBus
{
    /// <summary>Appends every later broadcast on <paramref name="topic"/> to the log of session <paramref name="sessionId"/> until disposed.</summary>
    IDisposable SubscribeSession(string topic, string sessionId);

    /// <summary>Offers every later broadcast on <paramref name="topic"/> to <paramref name="subscriber"/> until disposed.</summary>
    IDisposable SubscribeLive(string topic, ILiveSubscriber subscriber);

    /// <summary>
    /// Publishes <paramref name="text"/> to every subscriber of <paramref name="topic"/>, in one order for all of them
    /// (publishes to one topic are serialised). Answers how many subscribers took it.
    /// </summary>
    ValueTask<int> PublishAsync(string topic, string text, CancellationToken cancel);

    /// <summary>Subscribers of <paramref name="topic"/> this instance holds (sessions and live connections).</summary>
    int SubscriberCount(string topic);
}

/// <summary>A connection that takes broadcasts live. <see cref="Offer"/> must not block: it queues or refuses.</summary>
internal interface ILiveSubscriber
{
    /// <summary>Takes <paramref name="message"/> for sending; false when it cannot (closed, or too far behind).</summary>
    bool Offer(Broadcast message);
}

/// <summary>One published message, shared by all its live subscribers: encoded to UTF-8 once, however many sockets send it.</summary>
internal sealed class Broadcast(string text, long publishedAt)
{
    private byte[]? _utf8;

    public string Text { get; } = text;

    /// <summary>Stopwatch timestamp of the publish: where a live delivery's latency starts.</summary>
    public long PublishedAt { get; } = publishedAt;

    public byte[] Utf8 => _utf8 ??= System.Text.Encoding.UTF8.GetBytes(Text); // a race encodes twice, harmlessly
}
