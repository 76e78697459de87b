using System.Net.WebSockets;
using PushCompare.UnitTests.Infrastructure;

namespace PushCompare.UnitTests.WebSockets;

/// <summary>The server answers a close frame with the peer's own status code (RFC 6455 §5.5.1).</summary>
public sealed class CloseHandshakeTests(DefaultApp app) : IClassFixture<DefaultApp>
{
    [Theory]
    [InlineData(4001, "bye")]
    [InlineData(1000, "")]
    [InlineData(1001, "going away")]
    public async Task Client_close_is_answered_with_the_same_code(int code, string reason)
    {
        using var socket = await app.ConnectWebSocketAsync();
        Assert.Equal("Received: before close", await socket.EchoTextAsync("before close"));

        // CloseAsync returns only once the server's close frame has arrived.
        await socket.CloseAsync((WebSocketCloseStatus)code, reason, CancellationToken.None).WaitAsync(Eventually.DefaultDeadline);

        Assert.Equal(WebSocketState.Closed, socket.State);
        Assert.Equal((WebSocketCloseStatus)code, socket.CloseStatus);
    }
}
