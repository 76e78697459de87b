using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace PushCompare.UnitTests.Infrastructure;

/// <summary>
/// A WebSocket in session mode (<c>GET /ws?session=…</c>) as a test drives it: connected, its <c>o</c> frame read and
/// parsed, then frames sent and received as text, and the server's close read with its code and reason.
/// </summary>
public sealed class SessionSocketClient : IAsyncDisposable
{
    private readonly ClientWebSocket _socket;

    private SessionSocketClient(ClientWebSocket socket, JsonElement opened)
    {
        _socket = socket;
        Opened = opened;
    }

    /// <summary>The <c>o</c> frame's JSON: id, statsKey, expectedSeq, acked, and the limits.</summary>
    public JsonElement Opened { get; }

    public string Id => Opened.GetProperty("id").GetString()!;
    public string StatsKey => Opened.GetProperty("statsKey").GetString()!;
    public long ExpectedSeq => Opened.GetProperty("expectedSeq").GetInt64();
    public long Acked => Opened.GetProperty("acked").GetInt64();

    private static CancellationToken Deadline => new CancellationTokenSource(Eventually.DefaultDeadline).Token;

    /// <summary>Connects to <c>/ws{query}</c> at <paramref name="address"/> (http or https) and reads the <c>o</c> frame.</summary>
    public static async Task<SessionSocketClient> ConnectAsync(Uri address, string query)
    {
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(WebSocketUri(address, query), Deadline);
        var first = await ReceiveTextAsync(socket);
        Assert.True(first?.StartsWith('o') == true, $"the first frame is o{{json}}, not '{first}'");
        return new SessionSocketClient(socket, JsonDocument.Parse(first![1..]).RootElement.Clone());
    }

    public static Uri WebSocketUri(Uri address, string query) =>
        new($"{(address.Scheme == "https" ? "wss" : "ws")}://{address.Authority}/ws{query}");

    /// <summary>
    /// A session-mode upgrade the server refuses: its status and ProblemDetails body, over HTTP/1.1 with the upgrade
    /// headers a browser sends (the refusal comes before the upgrade, as an ordinary response).
    /// </summary>
    public static async Task<(HttpStatusCode Status, string Body)> RefusedAsync(Uri address, string query)
    {
        using var http = new HttpClient { BaseAddress = address };
        var request = new HttpRequestMessage(HttpMethod.Get, "/ws" + query);
        request.Headers.Connection.Add("Upgrade");
        request.Headers.Upgrade.Add(new System.Net.Http.Headers.ProductHeaderValue("websocket"));
        request.Headers.Add("Sec-WebSocket-Key", "f7cb4ezEAl6C3wRaU6JORA==");
        request.Headers.Add("Sec-WebSocket-Version", "13");
        using var response = await http.SendAsync(request);
        Assert.NotEqual(HttpStatusCode.SwitchingProtocols, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    public WebSocketState State => _socket.State;

    public Task SendAsync(string frame) =>
        _socket.SendAsync(Encoding.UTF8.GetBytes(frame), WebSocketMessageType.Text, endOfMessage: true, Deadline);

    public Task SendBinaryAsync(byte[] data) => _socket.SendAsync(data, WebSocketMessageType.Binary, endOfMessage: true, Deadline);

    /// <summary>The next text frame; null when the server closed instead (read the close with <see cref="CloseStatus"/>).</summary>
    public Task<string?> ReceiveAsync() => ReceiveTextAsync(_socket);

    /// <summary>Frames until the server's close, answered so the handshake completes: the frames before it, and its code and reason.</summary>
    public async Task<(List<string> Before, WebSocketCloseStatus? Status, string? Reason)> ReceiveCloseAsync()
    {
        var before = new List<string>();
        while (await ReceiveAsync() is { } frame) before.Add(frame);
        if (_socket.State == WebSocketState.CloseReceived)
            await _socket.CloseOutputAsync(_socket.CloseStatus ?? WebSocketCloseStatus.NormalClosure, null, Deadline);
        return (before, _socket.CloseStatus, _socket.CloseStatusDescription);
    }

    public WebSocketCloseStatus? CloseStatus => _socket.CloseStatus;
    public string? CloseReason => _socket.CloseStatusDescription;

    /// <summary>Closes normally and waits for the server's answer.</summary>
    public async Task CloseAsync()
    {
        if (_socket.State == WebSocketState.Open) await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, Deadline);
    }

    private static async Task<string?> ReceiveTextAsync(WebSocket socket)
    {
        var data = new MemoryStream();
        var buffer = new byte[4096];
        var cancel = Deadline;
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, cancel);
            if (result.MessageType == WebSocketMessageType.Close) return null;
            data.Write(buffer, 0, result.Count);
            if (result.EndOfMessage) return Encoding.UTF8.GetString(data.ToArray());
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await CloseAsync();
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            // Already failed or closed by the server: nothing to close.
        }
        _socket.Dispose();
    }
}
