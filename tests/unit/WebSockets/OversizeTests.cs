using System.Net.WebSockets;
using PushCompare.UnitTests.Infrastructure;

namespace PushCompare.UnitTests.WebSockets;

/// <summary>Messaging:MaxMessageBytes (64 here) bounds what one message may make the server buffer.</summary>
public sealed class OversizeTests(SmallMessageApp app) : IClassFixture<SmallMessageApp>
{
    private const int Max = SmallMessageApp.MaxMessageBytes;

    [Theory]
    [InlineData(WebSocketMessageType.Binary)]
    [InlineData(WebSocketMessageType.Text)]
    public async Task A_message_of_exactly_the_limit_is_echoed(WebSocketMessageType type)
    {
        var payload = Enumerable.Repeat((byte)'x', Max).ToArray();
        using var socket = await app.ConnectWebSocketAsync("?echo=exact");

        await socket.SendAsync(payload, type, endOfMessage: true, CancellationToken.None);
        var reply = await socket.ReceiveMessageAsync();

        Assert.Equal(type, reply.Type);
        Assert.Equal(payload, reply.Data);
    }

    [Fact]
    public async Task A_message_one_byte_over_the_limit_closes_with_1009()
    {
        using var socket = await app.ConnectWebSocketAsync();

        await socket.SendBinaryAsync(new byte[Max + 1]);
        var reply = await socket.ReceiveMessageAsync();

        Assert.Equal(WebSocketMessageType.Close, reply.Type);
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, reply.CloseStatus);
        await socket.CompleteCloseAsync();
    }

    [Fact]
    public async Task Fragments_each_under_the_limit_but_over_it_together_close_with_1009()
    {
        using var socket = await app.ConnectWebSocketAsync();

        await socket.SendBinaryAsync(new byte[Max / 2 + 1], endOfMessage: false);
        await socket.SendBinaryAsync(new byte[Max / 2], endOfMessage: true);
        var reply = await socket.ReceiveMessageAsync();

        Assert.Equal(WebSocketCloseStatus.MessageTooBig, reply.CloseStatus);
        await socket.CompleteCloseAsync();
    }
}
