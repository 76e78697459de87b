using System.Net;
using System.Net.WebSockets;
using Microsoft.Extensions.DependencyInjection;
using PushCompare.UnitTests.Infrastructure;
using PushCompare.UnitTests.Topics;
using PushCompare.Web.Topics;

namespace PushCompare.UnitTests.Backplane;

/// <summary>Topics across instances over Redis: a publish on one instance reaches every subscriber on every instance.</summary>
public sealed class RedisTopicTests(TwoInstances apps) : IClassFixture<TwoInstances>
{
    private readonly HttpClient _a = apps.HttpA, _b = apps.HttpB;

    [Fact]
    public async Task Fifty_publishes_on_B_reach_a_long_poll_an_event_stream_and_a_WebSocket_on_A_and_sessions_on_B_exactly_once_in_order()
    {
        const int Publishes = 50;
        string topic = $"across-{Guid.NewGuid():N}";
        var longPollA = await _a.OpenSessionAsync($"?topic={topic}");
        var sseA = await _a.OpenStreamSessionAsync($"?topic={topic}");
        var longPollB = await _b.OpenSessionAsync($"?topic={topic}");
        var shortPollB = await _b.OpenSessionAsync($"?wait=0&topic={topic}");
        var sseB = await _b.OpenStreamSessionAsync($"?topic={topic}");
        await using var streamA = await EventStream.OpenAsync(_a, sseA.Id);
        await using var streamB = await EventStream.OpenAsync(_b, sseB.Id);
        using var socket = await ConnectAsync(apps.A, topic);
        // Sessions count once subscribed in Redis, the WebSocket once A listens on the topic's channel.
        await Eventually.AssertAsync(() => Count(apps.A, topic) == 3 && Count(apps.B, topic) == 3, "A holds three subscribers and B three");

        using var held = new HttpClient { BaseAddress = apps.A.KestrelAddress, Timeout = TimeSpan.FromMinutes(1) };
        var receiving = new List<Task<List<string>>>
        {
            held.PollUntilAsync(longPollA.Id, Publishes),
            streamA.ReadMessagesAsync(Publishes),
            socket.ReceiveTextsAsync(Publishes),
            held.PollUntilAsync(longPollB.Id, Publishes), // B's session polled through A: any instance serves it
            streamB.ReadMessagesAsync(Publishes),
        };
        await apps.WaitUntilHeldAsync(longPollA.Id);
        // 5 session logs appended + 1 instance (A) that received the channel message for its WebSocket.
        for (int i = 1; i <= Publishes; i++) Assert.Equal(5 + 1, await _b.PublishAcceptedAsync(topic, $"tick {i}"));
        receiving.Add(_a.PollUntilAsync(shortPollB.Id, Publishes));

        var expected = Enumerable.Range(1, Publishes).Select(i => $"tick {i}").ToList();
        var received = await Task.WhenAll(receiving).Within("every subscriber received fifty broadcasts", TimeSpan.FromSeconds(30));
        Assert.All(received, messages => Assert.Equal(expected, messages));
        foreach (var session in new[] { longPollA, longPollB, shortPollB })
            Assert.Equal(HttpStatusCode.NoContent, (await _b.GetAsync($"/poll/{session.Id}?cursor={Publishes}&wait=0")).StatusCode);
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        await Eventually.AssertAsync(() => Count(apps.A, topic) == 2, "the closed WebSocket is unsubscribed on A");
    }

    [Fact]
    public async Task A_subscriber_session_that_closes_or_expires_leaves_the_topics_set_and_counts_no_more()
    {
        string topic = $"leaving-{Guid.NewGuid():N}";
        string set = $"{apps.A.Prefix}topic:{{{topic}}}:sessions";
        var closing = await _a.OpenSessionAsync($"?topic={topic}");
        var expiring = await _a.OpenStreamSessionAsync($"?topic={topic}");
        Assert.NotEqual("$-1", await apps.A.Redis.CommandAsync($"ZSCORE {set} {closing.Id}"));
        Assert.NotEqual("$-1", await apps.A.Redis.CommandAsync($"ZSCORE {set} {expiring.Id}"));
        Assert.Equal(2, await _b.PublishAcceptedAsync(topic, "to both"));

        // Closed through B: the closing instance leaves the set before it answers, whichever instance subscribed it.
        Assert.Equal(HttpStatusCode.NoContent, (await _b.DeleteSessionAsync(closing.Id)).StatusCode);
        Assert.Equal("$-1", await apps.A.Redis.CommandAsync($"ZSCORE {set} {closing.Id}"));

        // Expired: its key's TTL runs out, and A, which opened it, notices and unsubscribes it. An id a dead instance
        // left behind stops being renewed, so its deadline passes (here: already passed) and the next publish drops it.
        Assert.Equal(":1", await apps.A.Redis.CommandAsync($"PEXPIRE {apps.A.SessionKey(expiring.Id)} 1"));
        Assert.Equal(":1", await apps.A.Redis.CommandAsync($"ZADD {set} 1 left-by-a-dead-instance"));
        await Eventually.AssertAsync(async () => await apps.A.Redis.CommandAsync($"ZSCORE {set} {expiring.Id}") == "$-1",
            "A notices the expiry and unsubscribes the session", TimeSpan.FromSeconds(30));
        Assert.Equal(0, await _b.PublishAcceptedAsync(topic, "to nobody"));
        Assert.Equal(":0", await apps.A.Redis.CommandAsync($"ZCARD {set}"));
    }

    internal static int Count(AppFactory app, string topic) => app.Services.GetRequiredService<ITopicBus>().SubscriberCount(topic);

    internal static async Task<WebSocket> ConnectAsync(AppFactory app, string topic)
    {
        var socket = new ClientWebSocket();
        var uri = new UriBuilder(app.KestrelAddress) { Scheme = "ws", Path = "/ws", Query = $"topic={topic}" }.Uri;
        await socket.ConnectAsync(uri, CancellationToken.None).Within("the WebSocket connects");
        return socket;
    }
}

/// <summary>Redis stopped while publishing: 503 with Retry-After, and nothing published with 202 is lost for sessions.</summary>
public sealed class RedisTopicOutageTests(OutageApp fixture) : IClassFixture<OutageApp>
{
    private readonly HttpClient _http = fixture.Http;

    [Fact]
    public async Task Publishing_while_Redis_is_stopped_answers_503_with_Retry_After_and_sessions_keep_every_202_publish()
    {
        string topic = $"outage-{Guid.NewGuid():N}";
        var poll = await _http.OpenSessionAsync($"?topic={topic}");
        var sse = await _http.OpenStreamSessionAsync($"?topic={topic}");
        for (int i = 1; i <= 5; i++) Assert.Equal(2, await _http.PublishAcceptedAsync(topic, $"news {i}"));

        await fixture.Redis.StopAsync();
        await RedisOutageTests.AssertUnavailable(await _http.PublishAsync(topic, "news 6"));
        await fixture.Redis.StartAsync();

        // The publisher repeats what got 503, unchanged, until the instance has reconnected.
        await Eventually.AssertAsync(async () => (await _http.PublishAsync(topic, "news 6")).StatusCode == HttpStatusCode.Accepted,
            "the instance publishes again after Redis restarts", TimeSpan.FromSeconds(30));
        for (int i = 7; i <= 10; i++) Assert.Equal(2, await _http.PublishAcceptedAsync(topic, $"news {i}"));

        var expected = Enumerable.Range(1, 10).Select(i => $"news {i}").ToList();
        Assert.Equal(expected, (await _http.PollBatchAsync(poll.Id, 0)).Messages);
        await using var stream = await EventStream.OpenAsync(_http, sse.Id);
        Assert.Equal(expected, await stream.ReadMessagesAsync(10));
    }
}
