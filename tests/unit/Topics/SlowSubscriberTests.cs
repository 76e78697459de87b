using System.Net.WebSockets;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using PushCompare.UnitTests.Infrastructure;
using PushCompare.Web.Topics;

namespace PushCompare.UnitTests.Topics;

/// <summary>
/// A 500 ms send bound, room for 5 queued broadcasts per socket, and small server-side socket buffers, so a WebSocket
/// subscriber that stops reading backs up within a few messages.
/// </summary>
public sealed class SlowSubscriberApp : AppFactory
{
    // The polling subscriber may read behind the publisher: its backlog holds all 300 messages (1.2 MB), so only the
    // stalled WebSocket is ever dropped.
    public SlowSubscriberApp() : base(("WebSockets:SendTimeout", "00:00:00.500"), ("WebSockets:MaxQueuedBroadcasts", "5"),
        ("Sessions:MaxBacklogBytes", "4194304"))
    {
        StartOnKestrel();
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSmallSocketBuffers();
    }
}

/// <summary>Topics: a WebSocket subscriber that stops reading stalls neither the publisher nor the other subscribers.</summary>
public sealed class SlowSubscriberTests(SlowSubscriberApp app) : IClassFixture<SlowSubscriberApp>
{
    private const int Messages = 300; // 4 KiB each: 1.2 MB, far past what the stalled peer's buffers hold

    [Fact]
    public async Task A_subscriber_that_never_reads_is_dropped_while_the_publisher_and_the_others_carry_on()
    {
        string topic = $"slow-{Guid.NewGuid():N}";
        using var http = new HttpClient { BaseAddress = app.KestrelAddress };
        var bus = app.Services.GetRequiredService<ITopicBus>();
        await using var stalled = await RawConnection.OpenWebSocketAsync(app.KestrelAddress, $"/ws?topic={topic}", receiveBufferSize: 1024);
        using var live = new ClientWebSocket();
        await live.ConnectAsync(new Uri($"ws://{app.KestrelAddress.Authority}/ws?topic={topic}"), CancellationToken.None);
        var polling = await http.OpenSessionAsync($"?topic={topic}");
        await Eventually.AssertAsync(() => bus.SubscriberCount(topic) == 3, "three subscribers are registered");

        var expected = Enumerable.Range(1, Messages).Select(i => $"{i:D4} {new string('x', 4091)}").ToList();
        var pollReceives = http.PollUntilAsync(polling.Id, Messages);
        var taken = new List<int>();
        var liveGot = new List<string>();
        // The reading WebSocket takes each broadcast before the next is published, so it never falls behind its own
        // queue however slow the machine is; the stalled one never reads, and fills its queue within a few messages.
        await Task.Run(async () =>
        {
            foreach (var message in expected)
            {
                taken.Add(await http.PublishAcceptedAsync(topic, message));
                liveGot.Add((await live.ReceiveMessageAsync()).Text);
            }
        }).Within("every publish is answered although one subscriber stopped reading", TimeSpan.FromSeconds(60));

        Assert.Equal(expected, liveGot);
        Assert.Equal(expected, await pollReceives.Within("the polling session got every broadcast"));
        // The stalled socket took broadcasts until its queue was full, then was dropped: later publishes reached two.
        Assert.Equal(3, taken[0]);
        Assert.Equal(2, taken[^1]);
        await Eventually.AssertAsync(() => bus.SubscriberCount(topic) == 2, "the stalled subscriber is unsubscribed");
    }
}
