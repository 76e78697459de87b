using System.Buffers;
using System.Net;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using PushCompare.Bench.Cli;
using PushCompare.Bench.Metrics;
using PushCompare.Bench.Running;

namespace PushCompare.Bench.Clients;

/// <summary>
/// The framework's <see cref="ClientWebSocket"/> over a connection the bench opens itself (<see cref="HttpStack"/>), so
/// every byte (handshake and frames) passes through a <see cref="CountingStream"/>. Over HTTP/1.1 (plain or TLS) each
/// client gets its own handler and connection, whose HTTP-layer bytes are split into upgrade and RFC 6455 frames;
/// over HTTP/2 the WebSocket is a stream of a shared connection (RFC 8441) and only the connection's bytes are counted.
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
        var stack = Context.Spec.Stack;
        HttpMessageInvoker invoker;
        if (stack.IsHttp2)
        {
            // RFC 8441: the WebSocket is one stream (extended CONNECT) of an HTTP/2 connection, which --clients-per-connection
            // clients share. Its frames travel inside DATA frames, so they are counted with the connection's bytes, not per client.
            invoker = Context.SharedInvoker(Index);
        }
        else
        {
            // Own handler per client: the counting stream must be known per connection to check "handshake + frames = all bytes".
            _invoker = invoker = new HttpMessageInvoker(HttpStack.CreateHandler(stack, Context.BaseUri, Context.Traffic, http =>
            {
                http.MeterWebSocket();
                _stream = http;
            }));
        }
        Socket.Options.HttpVersion = HttpStack.Version(stack);
        Socket.Options.HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        Socket.Options.KeepAliveInterval = TimeSpan.Zero; // the client sends no keep-alive frames of its own
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
        await Socket.ConnectAsync(uri, invoker, cancel);
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
