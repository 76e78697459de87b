using System.Net.WebSockets;
using PushCompare.UnitTests.Infrastructure;

namespace PushCompare.UnitTests.Reliability;

/// <summary>WebSocket bad input: each gets its close code, and no misbehaving peer affects another connection.</summary>
public sealed class WebSocketRobustnessTests(KestrelApp app) : IClassFixture<KestrelApp>
{
    private async Task<ClientWebSocket> ConnectAsync()
    {
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri($"ws://{app.KestrelAddress.Authority}/ws"), CancellationToken.None);
        return socket;
    }

    [Fact]
    public async Task A_text_message_that_is_not_UTF8_is_closed_with_1007()
    {
        using var socket = await ConnectAsync();

        await socket.SendAsync(new byte[] { 0x48, 0xC3, 0x28 }, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);

        var close = await socket.ReceiveMessageAsync();
        Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, close.CloseStatus);
    }

    [Fact]
    public async Task Raw_garbage_on_a_socket_gets_that_connection_dropped_and_others_keep_echoing()
    {
        using var bystander = await ConnectAsync();
        await using var garbage = await RawConnection.OpenAsync(app.KestrelAddress);

        await garbage.WriteAsync(new byte[] { 0x00, 0xFF, 0x7F, 0x80, (byte)' ', (byte)'/', (byte)'\r', (byte)'\n', (byte)'\r', (byte)'\n' });

        var head = await garbage.ReadHttpHeadAsync();
        Assert.StartsWith("HTTP/1.1 400", head);
        Assert.True(await garbage.IsClosedByServerAsync(), "the server should drop a connection that speaks garbage");
        Assert.Equal("Received: unaffected", await bystander.EchoTextAsync("unaffected"));
    }

    [Fact]
    public async Task Garbage_after_a_WebSocket_upgrade_is_a_protocol_error_and_others_keep_echoing()
    {
        using var bystander = await ConnectAsync();
        await using var raw = await RawConnection.OpenAsync(app.KestrelAddress);
        await raw.WriteAsync($"GET /ws HTTP/1.1\r\nHost: {app.KestrelAddress.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                             "Sec-WebSocket-Key: f7cb4ezEAl6C3wRaU6JORA==\r\nSec-WebSocket-Version: 13\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 101", await raw.ReadHttpHeadAsync());

        // An unmasked frame with a reserved opcode: two RFC 6455 violations at once.
        await raw.WriteAsync(new byte[] { 0x83, 0x05, 1, 2, 3, 4, 5 });

        var frame = await raw.ReadExactlyAsync(4);
        Assert.Equal(0x88, frame[0]); // FIN + close
        Assert.Equal(1002, (frame[2] << 8) | frame[3]); // protocol error
        Assert.Equal("Received: unaffected", await bystander.EchoTextAsync("unaffected"));
    }

    [Fact]
    public async Task A_client_that_stops_reading_does_not_hold_up_other_connections()
    {
        using var bystander = await ConnectAsync();
        using var stalled = await ConnectAsync();
        var payload = new byte[32 * 1024];

        // Flood echo requests and never read: replies back up into the stalled client's TCP buffers until the
        // server's send to it blocks. Stop once our own sends block too (the server stopped reading it).
        using var flood = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        int sent = 0;
        try
        {
            while (sent < 2_000) { await stalled.SendAsync(payload, WebSocketMessageType.Binary, true, flood.Token); sent++; }
        }
        catch (OperationCanceledException)
        {
            // Our send blocked: the server stopped reading this connection because its replies cannot be delivered.
        }

        Assert.True(sent > 10, $"the stalled client only managed {sent} sends");
        for (int i = 0; i < 20; i++) Assert.Equal($"Received: {i}", await bystander.EchoTextAsync($"{i}"));
    }
}
