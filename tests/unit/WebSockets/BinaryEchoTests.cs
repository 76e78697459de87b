using System.Net.WebSockets;
using PushCompare.UnitTests.Infrastructure;

namespace PushCompare.UnitTests.WebSockets;

/// <summary>Binary messages come back byte-for-byte (no prefix), however large and however fragmented.</summary>
public sealed class BinaryEchoTests(DefaultApp app) : IClassFixture<DefaultApp>
{
    [Fact]
    public async Task All_256_byte_values_come_back_unchanged()
    {
        byte[] payload = Enumerable.Range(0, 256).Select(b => (byte)b).ToArray();
        using var socket = await app.ConnectWebSocketAsync();

        await socket.SendBinaryAsync(payload);
        var reply = await socket.ReceiveMessageAsync();

        Assert.Equal(WebSocketMessageType.Binary, reply.Type);
        Assert.Equal(payload, reply.Data);
    }

    [Theory]
    [InlineData(4097)]          // one past the server's first 4 KiB buffer
    [InlineData(50_000)]        // several buffer growths
    [InlineData(64 * 1024)]     // exactly the default Messaging:MaxMessageBytes
    public async Task Messages_larger_than_the_first_buffer_come_back_unchanged(int size)
    {
        var payload = new byte[size];
        new Random(size).NextBytes(payload);
        using var socket = await app.ConnectWebSocketAsync();

        await socket.SendBinaryAsync(payload);
        var reply = await socket.ReceiveMessageAsync();

        Assert.Equal(WebSocketMessageType.Binary, reply.Type);
        Assert.Equal(payload, reply.Data);
    }

    [Fact]
    public async Task A_message_sent_in_fragments_gets_one_reply_with_the_whole_message()
    {
        byte[][] fragments = [[1, 2, 3], [], Enumerable.Repeat((byte)0xAB, 5000).ToArray(), [0, 0xFF]];
        using var socket = await app.ConnectWebSocketAsync();

        for (int i = 0; i < fragments.Length; i++)
            await socket.SendBinaryAsync(fragments[i], endOfMessage: i == fragments.Length - 1);
        await socket.SendBinaryAsync([42]); // the next message: its reply must come right after the reassembled one

        var reply = await socket.ReceiveMessageAsync();
        Assert.Equal(fragments.SelectMany(f => f).ToArray(), reply.Data);
        Assert.Equal([42], (await socket.ReceiveMessageAsync()).Data);
    }

    [Fact]
    public async Task A_text_message_sent_in_fragments_is_prefixed_once()
    {
        using var socket = await app.ConnectWebSocketAsync();

        await socket.SendAsync("Hello, "u8.ToArray(), WebSocketMessageType.Text, endOfMessage: false, CancellationToken.None);
        await socket.SendAsync("world!"u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);

        var reply = await socket.ReceiveMessageAsync();
        Assert.Equal(WebSocketMessageType.Text, reply.Type);
        Assert.Equal("Received: Hello, world!", reply.Text);
    }
}
