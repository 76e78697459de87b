using System.Net.WebSockets;
using Microsoft.Extensions.DependencyInjection;
using PushCompare.UnitTests.Infrastructure;
using PushCompare.Web.Topics;

namespace PushCompare.UnitTests.Topics;

/// <summary>Sessions expire after 1 s without a poll, on a test clock, so an abandoned subscriber's end can be seen when the test says.</summary>
public sealed class TopicExpiryApp() : TestClockApp(("Sessions:IdleTimeout", "00:00:01"), ("LongPolling:PollTimeout", "00:00:10"));

/// <summary>Topics: a subscription lives exactly as long as its connection or session, however that ends.</summary>
public sealed class LifetimeTests(TopicExpiryApp app) : IClassFixture<TopicExpiryApp>
{
    private readonly HttpClient _http = app.CreateClient();
    private ITopicBus Bus => app.Services.GetRequiredService<ITopicBus>();

    [Fact]
    public async Task Closing_deleting_or_abandoning_a_subscriber_ends_its_subscription_and_the_topic_count_returns_to_zero()
    {
        string topic = $"life-{Guid.NewGuid():N}";
        var deleted = await _http.OpenSessionAsync($"?topic={topic}");
        var abandoned = await _http.OpenStreamSessionAsync($"?topic={topic}");
        var socket = await app.ConnectWebSocketAsync($"?topic={topic}");
        await Eventually.AssertAsync(() => Bus.SubscriberCount(topic) == 3, "three subscribers are registered");

        await _http.DeleteSessionAsync(deleted.Id);
        Assert.Equal(2, Bus.SubscriberCount(topic)); // DELETE answers after the session closed: synchronous
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        await Eventually.AssertAsync(() => Bus.SubscriberCount(topic) == 1, "the closed WebSocket is unsubscribed");
        app.Clock.Advance(TimeSpan.FromSeconds(1.5)); // past the idle timeout and the sweep after it
        await Eventually.AssertAsync(() => Bus.SubscriberCount(topic) == 0, "the abandoned SSE session expires and is unsubscribed");
        Assert.Equal(0, await _http.PublishAcceptedAsync(topic, "nobody left"));
        var gone = await _http.SendStreamAsync(abandoned.Id, "anyone?");
        Assert.Equal(System.Net.HttpStatusCode.Gone, gone.StatusCode);
    }
}

/// <summary>Topics: broadcasts count to a session's backlog like replies do.</summary>
public sealed class BroadcastBacklogTests(BacklogLimitApp app) : IClassFixture<BacklogLimitApp>
{
    private readonly HttpClient _http = app.CreateClient();
    private ITopicBus Bus => app.Services.GetRequiredService<ITopicBus>();

    [Fact]
    public async Task A_session_whose_backlog_overflows_with_broadcasts_is_closed_with_the_reason_and_unsubscribed()
    {
        string topic = $"overflow-{Guid.NewGuid():N}";
        var reader = await _http.OpenSessionAsync($"?topic={topic}");
        int limit = reader.Body.GetProperty("maxBacklogMessages").GetInt32();
        for (int i = 1; i <= limit; i++) Assert.Equal(1, await _http.PublishAcceptedAsync(topic, $"m{i}"));
        Assert.Equal(0, await _http.PublishAcceptedAsync(topic, "one too many"));

        var gone = await ProblemAssert.IsProblemAsync(await _http.PollAsync(reader.Id, 0), System.Net.HttpStatusCode.Gone);
        Assert.Contains("backlog", ProblemAssert.Detail(gone));
        Assert.Equal(0, Bus.SubscriberCount(topic));
    }
}
