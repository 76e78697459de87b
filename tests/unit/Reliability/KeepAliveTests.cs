using System.Net.Http.Json;
using System.Text.Json.Nodes;
using PushCompare.UnitTests.Infrastructure;

namespace PushCompare.UnitTests.Reliability;

public sealed class FastKeepAliveApp : AppFactory
{
    public FastKeepAliveApp() : base(("WebSockets:KeepAliveInterval", "00:00:01"), ("WebSockets:KeepAliveTimeout", "00:00:01"))
    {
        StartOnKestrel();
    }
}

/// <summary>The server pings idle WebSockets and drops a peer that never answers (a dead peer holds nothing for long).</summary>
public sealed class KeepAliveTests(FastKeepAliveApp app) : IClassFixture<FastKeepAliveApp>
{
    [Fact]
    public async Task A_peer_that_never_answers_pings_is_dropped()
    {
        await using var dead = await RawConnection.OpenAsync(app.KestrelAddress);
        await dead.WriteAsync($"GET /ws HTTP/1.1\r\nHost: {app.KestrelAddress.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                              "Sec-WebSocket-Key: f7cb4ezEAl6C3wRaU6JORA==\r\nSec-WebSocket-Version: 13\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 101", await dead.ReadHttpHeadAsync());

        var ping = await dead.ReadExactlyAsync(2);
        Assert.Equal(0x89, ping[0]); // FIN + ping (RFC 6455 §5.5.2), sent after the keep-alive interval
        await dead.ReadExactlyAsync(ping[1] & 0x7F); // its payload; we never answer with a pong

        Assert.True(await dead.IsClosedByServerAsync(), "the server should drop a peer that does not answer its ping");
    }

    [Fact]
    public async Task A_peer_that_answers_pings_stays_connected_and_keeps_echoing()
    {
        string key = $"keepalive-{Guid.NewGuid():N}";
        using var socket = new System.Net.WebSockets.ClientWebSocket(); // answers pings with pongs by itself
        await socket.ConnectAsync(new Uri($"ws://{app.KestrelAddress.Authority}/ws?client={key}"), CancellationToken.None);
        using var http = new HttpClient { BaseAddress = app.KestrelAddress };

        // The client answers pings while a receive is pending; wait (on the server's own frame counts) until two
        // keep-alive rounds have passed, each ping answered by a pong.
        var receive = socket.ReceiveMessageAsync();
        await Eventually.AssertAsync(async () =>
        {
            var session = (await http.GetFromJsonAsync<JsonNode>($"/api/stats?session={key}"))!["sessions"]![0]!;
            return session["controlFramesOut"]!.GetValue<long>() >= 2 && session["controlFramesIn"]!.GetValue<long>() >= 2;
        }, "two pings were sent and answered");
        Assert.False(receive.IsCompleted, "nothing but pings should have arrived");
        await socket.SendTextAsync("alive");

        Assert.Equal("Received: alive", (await receive).Text);
    }
}
