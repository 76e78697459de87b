using System.Net;
using System.Net.WebSockets;
using Microsoft.Extensions.DependencyInjection;
using PushCompare.UnitTests.Infrastructure;
using PushCompare.Web.Topics;

namespace PushCompare.UnitTests.Topics;

/// <summary>Topics on real Kestrel (so a refused WebSocket upgrade's ProblemDetails can be read off the wire), 64-byte messages.</summary>
public sealed class TopicLimitsApp : AppFactory
{
    public const int MaxMessageBytes = 64;

    public TopicLimitsApp() : base(("Messaging:MaxMessageBytes", "64"), ("Security:AllowedOrigins:0", "https://allowed.example"))
    {
        StartOnKestrel();
    }
}

/// <summary>
/// Topics: every bad publish and every bad subscribe gets its own status and a sentence naming the rule, and
/// the subscribers already there get exactly the messages that were accepted, on every transport.
/// </summary>
public sealed class BadInputTests(TopicLimitsApp app) : IClassFixture<TopicLimitsApp>
{
    private readonly HttpClient _http = new() { BaseAddress = app.KestrelAddress };

    public static TheoryData<string> BadNames => new()
    {
        "-leading-dash", ".hidden", "_under", "has%20space", "%C3%BCml", new string('a', 65), "semi;colon", "a%2Fb", "star*",
    };

    [Fact]
    public async Task Every_refused_publish_is_a_clear_error_and_subscribers_on_every_transport_get_only_the_accepted_messages()
    {
        string topic = $"bad-input-{Guid.NewGuid():N}";
        var longPoll = await _http.OpenSessionAsync($"?topic={topic}");
        var shortPoll = await _http.OpenSessionAsync($"?wait=0&topic={topic}");
        var sse = await _http.OpenStreamSessionAsync($"?topic={topic}");
        using var ws = new ClientWebSocket();
        await ws.ConnectAsync(new Uri($"ws://{app.KestrelAddress.Authority}/ws?topic={topic}"), CancellationToken.None);
        await Eventually.AssertAsync(() => SubscriberCount(topic) == 4, "all four subscribers are registered");

        Assert.Equal(4, await _http.PublishAcceptedAsync(topic, "before"));
        foreach (var bad in BadNames)
        {
            var problem = await ProblemAssert.IsProblemAsync(await _http.PublishAsync(bad, "lost?"), HttpStatusCode.BadRequest);
            Assert.Contains(TopicName.Rule, ProblemAssert.Detail(problem));
        }
        var tooBig = await ProblemAssert.IsProblemAsync(await _http.PublishAsync(topic, new string('x', TopicLimitsApp.MaxMessageBytes + 1)),
            HttpStatusCode.RequestEntityTooLarge);
        Assert.Contains($"{TopicLimitsApp.MaxMessageBytes}-byte limit", ProblemAssert.Detail(tooBig));
        Assert.Contains("empty", ProblemAssert.Detail(await ProblemAssert.IsProblemAsync(await _http.PublishAsync(topic, ""), HttpStatusCode.BadRequest)));
        Assert.Contains("text/plain", ProblemAssert.Detail(await ProblemAssert.IsProblemAsync(
            await _http.PublishAsync(topic, "<b>html</b>", "text/html"), HttpStatusCode.UnsupportedMediaType)));
        var forged = await ProblemAssert.IsProblemAsync(await _http.PublishAsync(topic, "forged", origin: "https://evil.example"), HttpStatusCode.Forbidden);
        Assert.Contains("https://evil.example", ProblemAssert.Detail(forged));
        Assert.Equal(4, await _http.PublishAcceptedAsync(topic, new string('y', TopicLimitsApp.MaxMessageBytes))); // exactly the limit passes
        var allowed = await _http.PublishAsync(topic, "after", origin: "https://allowed.example");
        Assert.Equal(HttpStatusCode.Accepted, allowed.StatusCode);

        string[] expected = ["before", new string('y', TopicLimitsApp.MaxMessageBytes), "after"];
        Assert.Equal(expected, await _http.PollUntilAsync(longPoll.Id, 3));
        Assert.Equal(expected, await _http.PollUntilAsync(shortPoll.Id, 3));
        await using (var stream = await EventStream.OpenAsync(_http, sse.Id)) Assert.Equal(expected, await stream.ReadMessagesAsync(3));
        Assert.Equal(expected, await ws.ReceiveTextsAsync(3));
    }

    [Theory]
    [MemberData(nameof(BadNames))]
    public async Task A_bad_topic_on_connect_is_400_naming_the_rule_on_every_transport_and_opens_nothing(string bad)
    {
        string topic = $"kept-{Guid.NewGuid():N}";
        var subscriber = await _http.OpenSessionAsync($"?topic={topic}");
        int open = Store.OpenCount;

        foreach (var path in new[] { $"/poll?topic={bad}", $"/poll?wait=0&topic={bad}", $"/sse?topic={bad}" })
        {
            var problem = await ProblemAssert.IsProblemAsync(await _http.PostAsync(path, null), HttpStatusCode.BadRequest);
            Assert.Contains(TopicName.Rule, ProblemAssert.Detail(problem));
        }
        string refused = await RefusedUpgradeAsync($"/ws?topic={bad}");
        Assert.StartsWith("HTTP/1.1 400 ", refused, StringComparison.Ordinal);
        Assert.Contains(TopicName.Rule, refused);

        Assert.Equal(open, Store.OpenCount);
        Assert.Equal(1, await _http.PublishAcceptedAsync(topic, "still here"));
        Assert.Equal(["still here"], await _http.PollUntilAsync(subscriber.Id, 1));
    }

    [Fact]
    public async Task Two_topics_on_one_connect_are_refused_rather_than_half_honoured()
    {
        var problem = await ProblemAssert.IsProblemAsync(await _http.PostAsync("/poll?topic=a&topic=b", null), HttpStatusCode.BadRequest);
        Assert.Contains("topic=", ProblemAssert.Detail(problem));
    }

    [Fact]
    public async Task Publishing_to_a_topic_nobody_subscribed_to_is_accepted_and_says_zero_subscribers()
    {
        Assert.Equal(0, await _http.PublishAcceptedAsync($"empty-{Guid.NewGuid():N}", "into the void"));
    }

    private PushCompare.Web.Sessions.SessionStore Store => app.Services.GetRequiredService<PushCompare.Web.Sessions.SessionStore>();

    private int SubscriberCount(string topic) => app.Services.GetRequiredService<ITopicBus>().SubscriberCount(topic);

    // The response to a WebSocket upgrade that is refused: head and body as text.
    private async Task<string> RefusedUpgradeAsync(string pathAndQuery)
    {
        await using var raw = await RawConnection.OpenAsync(app.KestrelAddress);
        await raw.WriteAsync($"GET {pathAndQuery} HTTP/1.1\r\nHost: {app.KestrelAddress.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                             "Sec-WebSocket-Key: f7cb4ezEAl6C3wRaU6JORA==\r\nSec-WebSocket-Version: 13\r\n\r\n");
        string head = await raw.ReadHttpHeadAsync();
        Assert.Contains("Transfer-Encoding: chunked", head);
        var body = new List<byte>();
        while (true)
        {
            int size = Convert.ToInt32(await ReadLineAsync(raw), 16);
            body.AddRange(await raw.ReadExactlyAsync(size + 2)); // the chunk and its CRLF
            body.RemoveRange(body.Count - 2, 2);
            if (size == 0) return head + System.Text.Encoding.UTF8.GetString(body.ToArray());
        }
    }

    private static async Task<string> ReadLineAsync(RawConnection raw)
    {
        var line = new List<byte>();
        while (line.Count < 2 || line[^2] != '\r' || line[^1] != '\n') line.Add((await raw.ReadExactlyAsync(1))[0]);
        return System.Text.Encoding.ASCII.GetString(line.ToArray(), 0, line.Count - 2);
    }
}
