using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using PushCompare.Bench.Cli;
using PushCompare.Bench.Clients;

namespace PushCompare.Bench.Transports;

/// <summary>
/// The WebSocket's session mode (<c>GET /ws?session={id}&amp;cursor=N</c>): text frames whose first character is their
/// type — <c>o{json}</c> once on attach, <c>m{n} {text}</c> per message of the log, <c>k{seq}</c> per accepted send.
/// Killing it aborts the socket: the server sees the connection drop without a close handshake.
/// </summary>
internal sealed class WebSocketSessionReader(Uri baseUri, WireStack stack) : SessionReader(baseUri, stack)
{
    public override async Task ReadAsync(string sessionId, long cursor, SessionMessageHandler onMessage, CancellationToken cancel)
    {
        using var invoker = new HttpMessageInvoker(HttpStack.CreateHandler(Stack, BaseUri, traffic: null));
        using var socket = new ClientWebSocket();
        socket.Options.HttpVersion = HttpStack.Version(Stack);
        socket.Options.HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        var uri = new UriBuilder(new Uri(BaseUri, $"/ws?session={Uri.EscapeDataString(sessionId)}&cursor={cursor}"))
        {
            Scheme = Stack.Tls ? "wss" : "ws",
        }.Uri;
        await socket.ConnectAsync(uri, invoker, cancel);
        var buffer = new byte[64 * 1024];
        while (true)
        {
            int count = 0;
            ValueWebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(buffer.AsMemory(count), cancel);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    throw new InvalidOperationException($"the server closed the session's WebSocket: {socket.CloseStatus} {socket.CloseStatusDescription}");
                }
                count += result.Count;
            }
            while (!result.EndOfMessage && count < buffer.Length);
            string frame = Encoding.UTF8.GetString(buffer, 0, count);
            if (frame.Length == 0 || frame[0] is 'o' or 'k') continue;
            int space = frame.IndexOf(' ');
            if (frame[0] != 'm' || space < 2 || !long.TryParse(frame.AsSpan(1, space - 1), NumberStyles.None, CultureInfo.InvariantCulture, out long n))
            {
                throw new InvalidDataException($"a session-mode frame was not o, m{{n}} or k: '{frame}'");
            }
            if (!onMessage(n, frame[(space + 1)..]))
            {
                socket.Abort();
                return;
            }
        }
    }
}
