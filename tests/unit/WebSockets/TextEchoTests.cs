using System.Net.WebSockets;
using PushCompare.UnitTests.Infrastructure;

namespace PushCompare.UnitTests.WebSockets;

/// <summary>The seed's conversation: "Hello, world!" → "Received: Hello, world!", and the exact-echo variant.</summary>
public sealed class TextEchoTests(DefaultApp app) : IClassFixture<DefaultApp>
{
    [Fact]
    public async Task Text_message_is_answered_with_the_Received_prefix()
    {
        using var socket = await app.ConnectWebSocketAsync();

        Assert.Equal("Received: Hello, world!", await socket.EchoTextAsync("Hello, world!"));
    }

    [Fact]
    public async Task An_empty_message_is_answered_too_in_both_modes()
    {
        using var prefixed = await app.ConnectWebSocketAsync();
        using var exact = await app.ConnectWebSocketAsync("?echo=exact");

        Assert.Equal("Received: ", await prefixed.EchoTextAsync(""));
        Assert.Equal("", await exact.EchoTextAsync(""));
        Assert.Equal("Received: after", await prefixed.EchoTextAsync("after"));
    }

    [Fact]
    public async Task Each_message_on_one_connection_gets_its_own_reply_in_order()
    {
        using var socket = await app.ConnectWebSocketAsync();

        foreach (var text in new[] { "one", "two", "ünïcødé ✓ 🚀" })
            Assert.Equal("Received: " + text, await socket.EchoTextAsync(text));
    }

    [Fact]
    public async Task Exact_mode_answers_with_the_message_itself()
    {
        using var socket = await app.ConnectWebSocketAsync("?echo=exact");

        Assert.Equal("Hello, world!", await socket.EchoTextAsync("Hello, world!"));
    }

    [Fact]
    public async Task Exact_mode_also_echoes_binary_byte_for_byte()
    {
        using var socket = await app.ConnectWebSocketAsync("?echo=exact");
        byte[] payload = [0, 1, 2, 0xFF];

        await socket.SendBinaryAsync(payload);
        var reply = await socket.ReceiveMessageAsync();

        Assert.Equal(WebSocketMessageType.Binary, reply.Type);
        Assert.Equal(payload, reply.Data);
    }
}
