using System.Net;
using System.Net.WebSockets;
using PushCompare.UnitTests.Infrastructure;

namespace PushCompare.UnitTests.Push;

/// <summary>The server-initiated stream (<c>?push=ms</c>): the same ticks on every transport, numbered from 1, with the server's clock.</summary>
public sealed class PushStreamTests(ShortPollApp app) : IClassFixture<ShortPollApp>
{
    private static (long N, long ServerMs) ParseTick(string text)
    {
        var parts = text.Split(' ');
        Assert.Equal(3, parts.Length);
        Assert.Equal("tick", parts[0]);
        return (long.Parse(parts[1]), long.Parse(parts[2]));
    }

    private static void AssertTicksInOrder(IReadOnlyList<string> ticks, long firstN)
    {
        long previousMs = 0;
        for (int i = 0; i < ticks.Count; i++)
        {
            var (n, ms) = ParseTick(ticks[i]);
            Assert.Equal(firstN + i, n);
            Assert.True(ms >= previousMs, "server timestamps go forward");
            Assert.InRange(ms, DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeMilliseconds(), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            previousMs = ms;
        }
    }

    [Fact]
    public async Task A_WebSocket_with_push_receives_numbered_ticks_between_echo_replies()
    {
        using var socket = await app.ConnectWebSocketAsync("?push=20");
        var ticks = new List<string>();
        while (ticks.Count < 5) ticks.Add((await socket.ReceiveMessageAsync()).Text);

        await socket.SendTextAsync("still echoing");
        string reply;
        while ((reply = (await socket.ReceiveMessageAsync()).Text).StartsWith("tick ", StringComparison.Ordinal)) ticks.Add(reply);

        Assert.Equal("Received: still echoing", reply);
        AssertTicksInOrder(ticks, 1);
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
    }

    [Fact]
    public async Task A_polling_session_with_push_receives_the_same_ticks_batched_and_acknowledged()
    {
        var http = app.CreateClient();
        var session = await http.OpenSessionAsync("?push=20");
        var ticks = new List<string>();
        long cursor = 0;
        while (ticks.Count < 5)
        {
            var response = await http.PollAsync(session.Id, cursor);
            if (response.StatusCode == HttpStatusCode.NoContent) continue;
            var batch = await PollingClient.ReadBatchAsync(response);
            ticks.AddRange(batch.Messages);
            cursor = batch.Cursor;
        }

        AssertTicksInOrder(ticks, 1);
        Assert.Equal(ticks.Count, cursor);
        Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteSessionAsync(session.Id)).StatusCode);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("5")]
    [InlineData("fast")]
    [InlineData("3600001")]
    public async Task An_invalid_push_interval_gets_400_on_both_transports(string push)
    {
        var poll = await app.CreateClient().PostAsync($"/poll?push={push}", null);
        Assert.Contains($"push='{push}'", ProblemAssert.Detail(await ProblemAssert.IsProblemAsync(poll, HttpStatusCode.BadRequest)));

        var ws = await Assert.ThrowsAnyAsync<Exception>(() => app.ConnectWebSocketAsync($"?push={push}"));
        Assert.Contains("400", ws.Message);
    }

    [Fact]
    public async Task Short_polling_with_wait_0_answers_at_once()
    {
        var http = app.CreateClient();
        var session = await http.OpenSessionAsync();

        Assert.Equal(HttpStatusCode.NoContent, (await http.GetAsync($"/poll/{session.Id}?cursor=0&wait=0")).StatusCode);
        await http.SendAcceptedAsync(session.Id, "now");
        var batch = await PollingClient.ReadBatchAsync(await http.GetAsync($"/poll/{session.Id}?cursor=0&wait=0"));

        Assert.Equal(["Received: now"], batch.Messages);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("soon")]
    [InlineData("200000")]
    public async Task An_invalid_wait_gets_400_and_nothing_is_lost(string wait)
    {
        var http = app.CreateClient();
        var session = await http.OpenSessionAsync();
        await http.SendAcceptedAsync(session.Id, "kept");

        var problem = await ProblemAssert.IsProblemAsync(await http.GetAsync($"/poll/{session.Id}?cursor=0&wait={wait}"), HttpStatusCode.BadRequest);

        Assert.Contains($"wait='{wait}'", ProblemAssert.Detail(problem));
        Assert.Equal(["Received: kept"], (await http.PollBatchAsync(session.Id, 0)).Messages);
    }
}
