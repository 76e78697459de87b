using System.Net.WebSockets;
using PushCompare.UnitTests.Infrastructure;
using PushCompare.UnitTests.Topics;

namespace PushCompare.UnitTests.Backplane;

/// <summary>Three instances of one deployment on one Redis, polls held 30 s (an answer within the test came from a wake-up).</summary>
public sealed class ThreeInstances : IAsyncLifetime
{
    public RedisApp[] Apps { get; private set; } = [];

    public async Task InitializeAsync()
    {
        var redis = await RedisServer.SharedAsync();
        string prefix = RedisServer.NewPrefix();
        Apps = Enumerable.Range(0, 3).Select(_ => new RedisApp(redis, prefix, ("LongPolling:PollTimeout", "00:00:30"),
            ("ServerSentEvents:HeartbeatInterval", "00:00:30"), ("Sessions:MaxSessions", "10000")).Start()).ToArray();
    }

    public async Task DisposeAsync()
    {
        foreach (var app in Apps) await app.DisposeAsync();
    }
}

/// <summary>
/// A broadcast across instances: 1,000 subscribers spread over three instances and all four transports, 10 broadcasts
/// published round-robin through the instances. Every polling and SSE subscriber gets every broadcast exactly once and
/// in order; every WebSocket (connected throughout) too.
/// </summary>
public sealed class RedisFanOutTests(ThreeInstances cluster) : IClassFixture<ThreeInstances>
{
    private const int PerTransport = 250, Broadcasts = 10;

    [Fact]
    public async Task A_thousand_subscribers_on_three_instances_and_four_transports_get_ten_broadcasts_exactly_once_and_in_order()
    {
        string topic = $"fan-out-{Guid.NewGuid():N}";
        var apps = cluster.Apps;
        // No connection cap: 250 long polls and 250 streams are held at once.
        var http = apps.Select(app => new HttpClient { BaseAddress = app.KestrelAddress, Timeout = TimeSpan.FromMinutes(1) }).ToArray();
        try
        {
            HttpClient On(int i) => http[i % apps.Length];
            var sockets = await Task.WhenAll(Enumerable.Range(0, PerTransport).Select(i => RedisTopicTests.ConnectAsync(apps[i % apps.Length], topic)));
            var longPolls = await Task.WhenAll(Enumerable.Range(0, PerTransport).Select(i => On(i).OpenSessionAsync($"?topic={topic}")));
            var shortPolls = await Task.WhenAll(Enumerable.Range(0, PerTransport).Select(i => On(i).OpenSessionAsync($"?wait=0&topic={topic}")));
            var sse = await Task.WhenAll(Enumerable.Range(0, PerTransport).Select(i => On(i).OpenStreamSessionAsync($"?topic={topic}")));
            // Each stream is read through the next instance, not the one that opened it: any instance serves any session.
            var streams = await Task.WhenAll(sse.Select((s, i) => EventStream.OpenAsync(On(i + 1), s.Id)));
            await Eventually.AssertAsync(() => apps.Sum(app => RedisTopicTests.Count(app, topic)) == 4 * PerTransport,
                "all 1,000 subscribers are registered", TimeSpan.FromSeconds(30));

            var receiving = new List<Task<List<string>>>();
            receiving.AddRange(sockets.Select(s => s.ReceiveTextsAsync(Broadcasts)));
            receiving.AddRange(longPolls.Select((s, i) => On(i + 2).PollUntilAsync(s.Id, Broadcasts)));
            receiving.AddRange(streams.Select(s => s.ReadMessagesAsync(Broadcasts)));
            // 750 session logs appended + the 3 instances that received the channel message for their WebSockets.
            for (int i = 1; i <= Broadcasts; i++) Assert.Equal(3 * PerTransport + apps.Length, await On(i).PublishAcceptedAsync(topic, $"broadcast {i}"));
            receiving.AddRange(shortPolls.Select((s, i) => On(i + 1).PollUntilAsync(s.Id, Broadcasts)));

            var expected = Enumerable.Range(1, Broadcasts).Select(i => $"broadcast {i}").ToList();
            var received = await Task.WhenAll(receiving).Within("every subscriber received ten broadcasts", TimeSpan.FromSeconds(60));
            Assert.All(received, messages => Assert.Equal(expected, messages));
            foreach (var (session, i) in longPolls.Concat(shortPolls).Select((s, i) => (s, i)))
                Assert.Equal(System.Net.HttpStatusCode.NoContent, (await On(i).GetAsync($"/poll/{session.Id}?cursor={Broadcasts}&wait=0")).StatusCode);

            foreach (var stream in streams) await stream.DisposeAsync();
            foreach (var socket in sockets)
            {
                try
                {
                    await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                }
                catch (WebSocketException)
                {
                    // Everything was checked: the server may have ended the socket first (it went unread while the polls
                    // were checked, and on a loaded box its keep-alive gave up), and a reset at close loses nothing.
                }
                socket.Dispose();
            }
        }
        finally
        {
            foreach (var client in http) client.Dispose();
        }
    }
}
