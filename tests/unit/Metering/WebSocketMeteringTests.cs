using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using PushCompare.Metering;

namespace PushCompare.UnitTests.Metering;

/// <summary>A real WebSocket through Kestrel: bytes equal the client's socket counts; frames and headers follow RFC 6455 §5.2.</summary>
public sealed class WebSocketMeteringTests : IAsyncLifetime
{
    private readonly MeteredApp _app = new();
    private readonly CountingConnections _wire = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task Echo_bytes_frames_and_messages_are_counted_exactly_and_found_by_the_client_key()
    {
        string client = "page-" + Guid.NewGuid().ToString("N");
        using var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.Zero; // no unsolicited pongs during the test
        var uri = new UriBuilder(_app.BaseAddress) { Scheme = "ws", Path = "/ws", Query = "client=" + client }.Uri;
        using var invoker = new HttpMessageInvoker(_wire.CreateHandler());
        await socket.ConnectAsync(uri, invoker, CancellationToken.None);

        await socket.SendAsync("hello"u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
        var buffer = new byte[64];
        var reply = await socket.ReceiveAsync(buffer, CancellationToken.None);
        Assert.Equal("Received: hello", Encoding.UTF8.GetString(buffer, 0, reply.Count));

        var open = (await _app.SessionAsync(client))!;
        Assert.True(open["open"]!.GetValue<bool>());
        Assert.Equal(1, Long((await _app.StatsAsync())["transports"]!["websocket"]!, "sessions"));

        // The server answers the close only after it finished the echo, so every figure is final when this returns.
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);

        var ws = (await _app.StatsAsync())["transports"]!["websocket"]!;
        Assert.Equal(1, _wire.Count);
        Assert.Equal(_wire.Written, Long(ws, "bytesIn"));
        Assert.Equal(_wire.Read, Long(ws, "bytesOut"));
        Assert.Equal(1, Long(ws, "requests"));
        Assert.Equal(1, Long(ws, "messagesIn"));
        Assert.Equal(1, Long(ws, "messagesOut"));
        Assert.Equal(5, Long(ws, "payloadBytesIn"));
        Assert.Equal(15, Long(ws, "payloadBytesOut"));

        // Up: "hello" and a close with its 2-byte code, both masked. Down: the echo and the close reply, unmasked.
        Assert.Equal(2, Long(ws, "framesIn"));
        Assert.Equal(1, Long(ws, "controlFramesIn"));
        Assert.Equal(Rfc6455Framing.HeaderLength(5, masked: true) + Rfc6455Framing.HeaderLength(2, masked: true), Long(ws, "frameHeaderBytesIn"));
        Assert.Equal(2, Long(ws, "framesOut"));
        Assert.Equal(1, Long(ws, "controlFramesOut"));
        Assert.Equal(Rfc6455Framing.HeaderLength(15, masked: false) + Rfc6455Framing.HeaderLength(2, masked: false), Long(ws, "frameHeaderBytesOut"));
        Assert.Equal(1, Long(ws["latency"]!, "count"));

        var own = (await _app.SessionAsync(client))!;
        Assert.Equal("websocket", own["transport"]!.GetValue<string>());
        Assert.Equal(_wire.Written, Long(own, "bytesIn"));
        Assert.Equal(_wire.Read, Long(own, "bytesOut"));
        Assert.Equal(2, Long(own, "framesOut"));
        Assert.Equal(1, Long(own, "messagesOut"));

        var other = (await _app.StatsAsync())["transports"]!;
        Assert.Equal(0, Long(other["longpoll"]!, "bytesIn"));
    }

    [Fact]
    public async Task A_plain_GET_on_the_WebSocket_path_counts_as_a_WebSocket_request_without_a_session()
    {
        using var client = new HttpClient(_wire.CreateHandler()) { BaseAddress = _app.BaseAddress };
        var response = await client.GetAsync("/ws?client=nope");
        await response.Content.LoadIntoBufferAsync();

        var stats = await _app.StatsAsync();
        var ws = stats["transports"]!["websocket"]!;
        Assert.Equal(1, Long(ws, "requests"));
        Assert.Equal(_wire.Written, Long(ws, "bytesIn"));
        Assert.Equal(_wire.Read, Long(ws, "bytesOut"));
        Assert.Equal(0, Long(ws, "framesOut"));
        Assert.Empty((await _app.StatsAsync("nope"))["sessions"]!.AsArray());
    }

    private static long Long(JsonNode node, string name) => node[name]!.GetValue<long>();
}
