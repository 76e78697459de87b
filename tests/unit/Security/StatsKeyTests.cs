using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using PushCompare.UnitTests.Infrastructure;
using PushCompare.UnitTests.Metering;

namespace PushCompare.UnitTests.Security;

/// <summary>
/// Nothing /api/stats publishes grants access to a session. A polling session is listed under a
/// stats key (a keyed hash of its id, not the id), and a client-chosen WebSocket key names one connection only.
/// </summary>
public sealed class StatsKeyTests : IAsyncLifetime
{
    private readonly MeteredApp _app = new();
    private HttpClient _owner = null!, _stranger = null!;

    public Task InitializeAsync()
    {
        _owner = new HttpClient { BaseAddress = _app.BaseAddress };
        _stranger = new HttpClient { BaseAddress = _app.BaseAddress }; // no Origin header: curl or any script
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _owner.Dispose();
        _stranger.Dispose();
        await _app.DisposeAsync();
    }

    [Fact]
    public async Task No_listed_key_reads_sends_into_or_closes_a_session_and_the_owner_loses_nothing()
    {
        var longPoll = await _owner.OpenSessionAsync();
        var shortPoll = await _owner.OpenSessionAsync("?wait=0");
        await _owner.SendAcceptedAsync(longPoll.Id, "secret message");
        await _owner.SendAcceptedAsync(shortPoll.Id, "another secret");
        using var socket = await ConnectAsync("page-" + Guid.NewGuid().ToString("N"));

        var keys = (await _app.StatsAsync())["sessions"]!.AsArray().Select(s => s!["key"]!.GetValue<string>()).ToList();
        Assert.Equal(3, keys.Count);
        Assert.Contains(longPoll.StatsKey, keys);
        Assert.Contains(shortPoll.StatsKey, keys);
        Assert.DoesNotContain(longPoll.Id, keys);
        Assert.DoesNotContain(shortPoll.Id, keys);

        foreach (var key in keys)
        {
            await ProblemAssert.IsProblemAsync(await _stranger.GetAsync($"/poll/{key}?cursor=0&wait=0"), HttpStatusCode.NotFound);
            await ProblemAssert.IsProblemAsync(await _stranger.SendAsync(key, "injected"), HttpStatusCode.NotFound);
            await ProblemAssert.IsProblemAsync(await _stranger.DeleteSessionAsync(key), HttpStatusCode.NotFound);
        }

        // The owners' sessions are untouched: each still holds exactly its own reply, and is open.
        Assert.Equal(["Received: secret message"], (await _owner.PollBatchAsync(longPoll.Id, 0)).Messages);
        Assert.Equal(["Received: another secret"], (await _owner.PollBatchAsync(shortPoll.Id, 0)).Messages);
        foreach (var key in new[] { longPoll.StatsKey, shortPoll.StatsKey })
        {
            var own = (await _app.SessionAsync(key))!;
            Assert.True(own["open"]!.GetValue<bool>());
            Assert.Equal(1, own["messagesIn"]!.GetValue<long>());
        }
        Assert.Equal("Received: still mine", await EchoAsync(socket, "still mine"));
    }

    [Fact]
    public async Task The_stats_key_names_the_session_in_its_201_and_filters_the_listing()
    {
        var session = await _owner.OpenSessionAsync();
        Assert.NotEqual(session.Id, session.StatsKey);
        Assert.Equal(22, session.StatsKey.Length);
        var listed = Assert.Single((await _app.StatsAsync(session.StatsKey))["sessions"]!.AsArray())!;
        Assert.Equal(session.StatsKey, listed["key"]!.GetValue<string>());
        // The credential itself finds no figures: ?session= takes only the published key.
        Assert.Empty((await _app.StatsAsync(session.Id))["sessions"]!.AsArray());
    }

    [Fact]
    public async Task A_second_socket_with_a_live_sockets_key_is_refused_and_adds_nothing_to_its_figures()
    {
        string key = "page-" + Guid.NewGuid().ToString("N");
        using var first = await ConnectAsync(key);
        Assert.Equal("Received: one", await EchoAsync(first, "one"));
        var before = (await _app.SessionAsync(key))!;

        await ProblemAssert.IsProblemAsync(await UpgradeAsync(key), HttpStatusCode.Conflict);
        using var second = new ClientWebSocket();
        var refused = await Assert.ThrowsAsync<WebSocketException>(() => second.ConnectAsync(WsUri(key), CancellationToken.None));

        var after = (await _app.SessionAsync(key))!;
        foreach (var figure in new[] { "requests", "bytesIn", "bytesOut", "messagesIn", "messagesOut" })
            Assert.Equal(before[figure]!.GetValue<long>(), after[figure]!.GetValue<long>());
        Assert.Equal("Received: two", await EchoAsync(first, "two"));
        Assert.NotNull(refused);
    }

    [Fact]
    public async Task A_closed_sockets_key_and_a_polling_sessions_stats_key_are_refused_too()
    {
        string key = "page-" + Guid.NewGuid().ToString("N");
        using (var first = await ConnectAsync(key))
            await first.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        await ProblemAssert.IsProblemAsync(await UpgradeAsync(key), HttpStatusCode.Conflict);

        var session = await _owner.OpenSessionAsync();
        var polling = (await _app.SessionAsync(session.StatsKey))!;
        var problem = await ProblemAssert.IsProblemAsync(await UpgradeAsync(session.StatsKey), HttpStatusCode.Conflict);
        Assert.Contains("fresh key", ProblemAssert.Detail(problem));
        var unchanged = (await _app.SessionAsync(session.StatsKey))!;
        Assert.Equal("longpoll", unchanged["transport"]!.GetValue<string>());
        Assert.Equal(polling["requests"]!.GetValue<long>(), unchanged["requests"]!.GetValue<long>());
        Assert.Equal(polling["bytesIn"]!.GetValue<long>(), unchanged["bytesIn"]!.GetValue<long>());
    }

    [Theory]
    [InlineData("client=")]
    [InlineData("client=a%20b")]
    [InlineData("client=a&client=b")]
    public async Task A_client_value_that_is_not_a_key_is_refused_with_400(string query)
    {
        var problem = await ProblemAssert.IsProblemAsync(await UpgradeAsync(null, query), HttpStatusCode.BadRequest);
        Assert.Contains("1–64 characters", ProblemAssert.Detail(problem));
    }

    private Uri WsUri(string key) => new UriBuilder(_app.BaseAddress) { Scheme = "ws", Path = "/ws", Query = "client=" + key }.Uri;

    private async Task<ClientWebSocket> ConnectAsync(string key)
    {
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(WsUri(key), CancellationToken.None);
        return socket;
    }

    // A WebSocket handshake sent as a plain request, so a refusal's ProblemDetails body can be read.
    private async Task<HttpResponseMessage> UpgradeAsync(string? key, string? query = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"/ws?{query ?? "client=" + key}");
        request.Headers.Connection.Add("Upgrade");
        request.Headers.Upgrade.Add(new("websocket"));
        request.Headers.Add("Sec-WebSocket-Version", "13");
        request.Headers.Add("Sec-WebSocket-Key", "f7cb4ezEAl6C3wRaU6JORA==");
        return await _stranger.SendAsync(request);
    }

    private static async Task<string> EchoAsync(ClientWebSocket socket, string text)
    {
        await socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
        var buffer = new byte[256];
        var reply = await socket.ReceiveAsync(buffer, CancellationToken.None);
        return Encoding.UTF8.GetString(buffer, 0, reply.Count);
    }
}
