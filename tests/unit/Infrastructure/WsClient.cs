using System.Net.WebSockets;
using System.Text;

namespace PushCompare.UnitTests.Infrastructure;

/// <summary>One received WebSocket message, reassembled from however many receives it took.</summary>
public sealed record WsMessage(WebSocketMessageType Type, byte[] Data, WebSocketCloseStatus? CloseStatus)
{
    public string Text => Encoding.UTF8.GetString(Data);
}

/// <summary>WebSocket helpers over the in-memory TestServer (no socket, no port).</summary>
public static class WsClient
{
    private static CancellationToken Deadline => new CancellationTokenSource(Eventually.DefaultDeadline).Token;

    public static Task<WebSocket> ConnectWebSocketAsync(this AppFactory app, string query = "") =>
        app.Server.CreateWebSocketClient().ConnectAsync(new Uri($"ws://localhost/ws{query}"), Deadline);

    public static Task SendTextAsync(this WebSocket socket, string text) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, Deadline);

    public static Task SendBinaryAsync(this WebSocket socket, byte[] data, bool endOfMessage = true) =>
        socket.SendAsync(data, WebSocketMessageType.Binary, endOfMessage, Deadline);

    /// <summary>Receives one whole message (or the close frame) with a small buffer, so long messages take several receives.</summary>
    public static async Task<WsMessage> ReceiveMessageAsync(this WebSocket socket)
    {
        var cancel = Deadline;
        var data = new MemoryStream();
        var buffer = new byte[1024];
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, cancel);
            if (result.MessageType == WebSocketMessageType.Close) return new(result.MessageType, [], result.CloseStatus);
            data.Write(buffer, 0, result.Count);
            if (result.EndOfMessage) return new(result.MessageType, data.ToArray(), null);
        }
    }

    /// <summary>Sends a text message and returns the text of the reply.</summary>
    public static async Task<string> EchoTextAsync(this WebSocket socket, string text)
    {
        await socket.SendTextAsync(text);
        var reply = await socket.ReceiveMessageAsync();
        Assert.Equal(WebSocketMessageType.Text, reply.Type);
        return reply.Text;
    }

    /// <summary>Answers the server's close frame so its close handshake completes.</summary>
    public static Task CompleteCloseAsync(this WebSocket socket) =>
        socket.CloseOutputAsync(socket.CloseStatus ?? WebSocketCloseStatus.NormalClosure, null, Deadline);
}
