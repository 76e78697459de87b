using Microsoft.Extensions.DependencyInjection;
using PushCompare.UnitTests.Infrastructure;
using PushCompare.Web.Topics;

namespace PushCompare.UnitTests.Topics;

/// <summary>
/// Topics on one instance: 1,000 subscribers spread over all four transports, 20 broadcasts. Every subscriber
/// gets every broadcast exactly once and in order — polling and SSE through their session logs, WebSockets live — and
/// every subscription ends with its connection.
/// </summary>
public sealed class FanOutTests(HeldPollApp app) : IClassFixture<HeldPollApp>
{
    private const int PerTransport = 250, Broadcasts = 20;

    [Fact]
    public async Task A_thousand_subscribers_on_four_transports_get_twenty_broadcasts_exactly_once_and_in_order()
    {
        string topic = $"fan-out-{Guid.NewGuid():N}";
        var http = app.CreateClient();
        http.Timeout = TimeSpan.FromMinutes(1);
        var bus = app.Services.GetRequiredService<ITopicBus>();

        // Not WsClient's connect: over TestServer its 10 s deadline would end the sockets if setting up 1,000 took longer.
        var sockets = await Task.WhenAll(Enumerable.Range(0, PerTransport).Select(_ =>
            app.Server.CreateWebSocketClient().ConnectAsync(new Uri($"ws://localhost/ws?topic={topic}"), CancellationToken.None)));
        var longPolls = await Task.WhenAll(Enumerable.Range(0, PerTransport).Select(_ => http.OpenSessionAsync($"?topic={topic}")));
        var shortPolls = await Task.WhenAll(Enumerable.Range(0, PerTransport).Select(_ => http.OpenSessionAsync($"?wait=0&topic={topic}")));
        var sse = await Task.WhenAll(Enumerable.Range(0, PerTransport).Select(_ => http.OpenStreamSessionAsync($"?topic={topic}")));
        var streams = await Task.WhenAll(sse.Select(s => EventStream.OpenAsync(http, s.Id)));
        // A WebSocket subscribes once its handler runs, just after the 101: wait until all of them have.
        await Eventually.AssertAsync(() => bus.SubscriberCount(topic) == 4 * PerTransport, "all 1,000 subscribers are registered");

        // Receivers run while the publisher publishes: held long polls and open streams get the broadcasts as they come.
        var receiving = new List<Task<List<string>>>();
        receiving.AddRange(sockets.Select(s => s.ReceiveTextsAsync(Broadcasts)));
        receiving.AddRange(longPolls.Select(s => http.PollUntilAsync(s.Id, Broadcasts)));
        receiving.AddRange(streams.Select(s => s.ReadMessagesAsync(Broadcasts)));
        for (int i = 1; i <= Broadcasts; i++) Assert.Equal(4 * PerTransport, await http.PublishAcceptedAsync(topic, $"broadcast {i}"));
        receiving.AddRange(shortPolls.Select(s => http.PollUntilAsync(s.Id, Broadcasts)));

        var expected = Enumerable.Range(1, Broadcasts).Select(i => $"broadcast {i}").ToList();
        var received = await Task.WhenAll(receiving).Within("every subscriber received twenty broadcasts", TimeSpan.FromSeconds(60));
        Assert.All(received, messages => Assert.Equal(expected, messages));
        // Nothing more than the twenty: every session's log is empty after the last cursor.
        foreach (var session in longPolls.Concat(shortPolls))
            Assert.Equal(System.Net.HttpStatusCode.NoContent, (await http.GetAsync($"/poll/{session.Id}?cursor={Broadcasts}&wait=0")).StatusCode);

        foreach (var stream in streams) await stream.DisposeAsync();
        foreach (var session in longPolls.Concat(shortPolls)) await http.DeleteSessionAsync(session.Id);
        foreach (var session in sse) await http.DeleteAsync($"/sse/{session.Id}");
        foreach (var socket in sockets)
        {
            await socket.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
            socket.Dispose();
        }
        await Eventually.AssertAsync(() => bus.SubscriberCount(topic) == 0, "every subscription ended with its connection or session");
    }
}
