using System.Buffers;
using System.Net;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using PushCompare.Bench.Cli;
using PushCompare.Bench.Metrics;
using PushCompare.Bench.Running;

namespace PushCompare.Bench.Clients;

/// <summary>
/// The framework's <see cref="ClientWebSocket"/> over a connection the bench opens itself, so every byte (handshake
/// and frames) passes through a <see cref="CountingStream"/>. Each client gets its own handler: the counting stream
/// must be known per connection to check "handshake + frames = all bytes" exactly.
/// </summary>
internal abstract class WebSocketClient(int index, RunContext context) : BenchClient(index, context)
{
    private HttpMessageInvoker? _invoker;
    private CountingStream? _stream;

    protected ClientWebSocket Socket { get; } = new();

    /// <summary>Bytes of the HTTP upgrade (request up, 101 response down), as the frame meters delimited them.</summary>
    public (long Up, long Down) Handshake => (_stream?.Up?.HeadBytes ?? 0, _stream?.Down?.HeadBytes ?? 0);

    public CountingStream? Stream => _stream;

    /// <summary>True when the close handshake finished, so the byte accounting of this connection is complete.</summary>
    public bool ClosedCleanly { get; private set; }

    protected abstract string PathAndQuery { get; }

    protected override async Task OpenAsync(CancellationToken cancel)
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            UseCookies = false,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            ConnectCallback = async (c, ct) =>
            {
                _stream = new CountingStream(await SocketFactory.ConnectAsync(c.DnsEndPoint, ct));
                _stream.MeterWebSocket();
                Context.Traffic.Add(_stream);
                return _stream;
            },
        };
        _invoker = new HttpMessageInvoker(handler);
        Socket.Options.KeepAliveInterval = TimeSpan.Zero; // the client sends no keep-alive frames of its own
        Socket.Options.HttpVersion = HttpVersion.Version11;
        Socket.Options.HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        if (Context.Spec.Headers == HeaderProfile.Chromium)
        {
            string origin = Context.BaseUri.GetLeftPart(UriPartial.Authority);
            foreach (var (name, value) in ChromiumHeaders.WebSocketUpgrade)
            {
                // With --compression the framework makes the offer itself (it must know it offered to accept the answer).
                if (Context.Settings.Compression && name == "Sec-WebSocket-Extensions") continue;
                Socket.Options.SetRequestHeader(name, ChromiumHeaders.Expand(value, origin));
            }
        }
        if (Context.Settings.Compression) Socket.Options.DangerousDeflateOptions = new WebSocketDeflateOptions(); // 15/15 bits, context takeover
        var uri = new UriBuilder(new Uri(Context.BaseUri, PathAndQuery)) { Scheme = Context.BaseUri.Scheme == "https" ? "wss" : "ws" }.Uri;
        await Socket.ConnectAsync(uri, _invoker, cancel);
    }

    /// <summary>Receives one whole message into <paramref name="buffer"/>; Count = -1 when it did not fit (the rest is skipped).</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))] // completes asynchronously per message: must not allocate
    protected async ValueTask<(int Count, WebSocketMessageType Type)> ReceiveMessageAsync(byte[] buffer, CancellationToken cancel)
    {
        int count = 0;
        while (true)
        {
            if (count == buffer.Length)
            {
                ValueWebSocketReceiveResult rest;
                do rest = await Socket.ReceiveAsync(buffer.AsMemory(), cancel);
                while (!rest.EndOfMessage && rest.MessageType != WebSocketMessageType.Close);
                return (-1, rest.MessageType);
            }
            var result = await Socket.ReceiveAsync(buffer.AsMemory(count), cancel);
            if (result.MessageType == WebSocketMessageType.Close) return (0, WebSocketMessageType.Close);
            count += result.Count;
            if (result.EndOfMessage) return (count, result.MessageType);
        }
    }

    /// <summary>Starts the close handshake; the receive loop ends when the server's close frame arrives.</summary>
    protected async Task SendCloseAsync()
    {
        if (Socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            await Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, Context.Abort);
        }
    }

    /// <summary>Called by the receive loop when the server's close frame arrived after ours.</summary>
    protected void OnServerClosed()
    {
        if (Context.Stop.IsCancellationRequested) ClosedCleanly = true;
        else Error($"the server closed the WebSocket during the run ({Socket.CloseStatus} {Socket.CloseStatusDescription})");
    }

    protected static byte[] RentBuffer(int size) => ArrayPool<byte>.Shared.Rent(size);

    protected static void ReturnBuffer(byte[] buffer) => ArrayPool<byte>.Shared.Return(buffer);

    protected override Task CloseAsync()
    {
        if (Socket.State != WebSocketState.Closed) Socket.Abort();
        Socket.Dispose();
        _invoker?.Dispose();
        return Task.CompletedTask;
    }
}
