using System.Buffers;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using PushCompare.Bench.Cli;
using PushCompare.Bench.Clients;
using PushCompare.Bench.Metrics;
using PushCompare.Bench.Reporting;
using PushCompare.Bench.Running;

namespace PushCompare.Bench.Transports;

/// <summary>
/// WebSocket (<c>/ws</c>): one connection per client, messages as RFC 6455 frames, no request per message. Over
/// HTTP/1.1 every byte of a cleanly closed connection is accounted as its upgrade or a frame.
/// </summary>
public sealed class WebSocketTransport : BenchTransport
{
    public override string Id => "websocket";

    public override bool UsesSessions => false;

    public override bool CountsRequests => false;

    public override int EchoConnections => 1;

    public override bool BroadcastReachByInstance => true;

    public override double? PaperBytesPerMessage => LubbersTable.WebSocketBytes2010;

    public override string OpenRequest(string query) => $"GET /ws?{query}";

    internal override bool NeedsSharedHttp(RunSpec spec, BenchSettings settings) => false;

    /// <summary>The WebSocket's session mode: the plain <c>/ws</c> echo has no session to resume.</summary>
    internal override SessionReader SessionReader(Uri baseUri, WireStack stack, BenchSettings settings) => new WebSocketSessionReader(baseUri, stack);

    internal override BenchConnection Connect(RunContext context, int index, ClientCounters counters, SessionKind kind) =>
        new WebSocketConnection(index, context, counters, kind);

    /// <summary>Frame headers and ping/pong (HTTP/1.1); over HTTP/2 (frames inside DATA frames) everything around the payload.</summary>
    public override double? OverheadPerMessage(RunResult r)
    {
        if (r.WebSocket is null) return r.Layers.FirstOrDefault(l => l.Source == "client")?.HttpOverheadPerMessage;
        var w = r.WebSocket;
        if (w.FramesDown.DataMessages == 0) return null;
        double overhead = w.FramesDown.DataHeaderBytes + w.FramesUp.DataHeaderBytes + w.FramesDown.ControlBytes + w.FramesUp.ControlBytes;
        return overhead / w.FramesDown.DataMessages;
    }

    internal override async Task WarmUpAsync(HttpClient http, Uri baseUri, WireStack stack, CancellationToken cancel)
    {
        using var invoker = new HttpMessageInvoker(HttpStack.CreateHandler(stack, baseUri, traffic: null));
        using var ws = new ClientWebSocket();
        var uri = new UriBuilder(new Uri(baseUri, "/ws?echo=exact")) { Scheme = stack.Tls ? "wss" : "ws" }.Uri;
        ws.Options.HttpVersion = HttpStack.Version(stack);
        ws.Options.HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        await ws.ConnectAsync(uri, invoker, cancel);
        await ws.SendAsync("warm-up"u8.ToArray(), WebSocketMessageType.Text, true, cancel);
        await ws.ReceiveAsync(new byte[64], cancel);
        await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, null, cancel);
    }

    /// <summary>
    /// Over HTTP/1.1, sums handshake and frame counts over connections that closed cleanly and checks nothing is left
    /// over. Over HTTP/2 a WebSocket's frames are inside DATA frames of a shared connection: no per-connection split.
    /// </summary>
    internal override void Account(RunResult result, RunSpec spec, IReadOnlyList<BenchConnection> connections)
    {
        if (spec.Stack.IsHttp2 || connections.Count == 0) return;
        var closed = connections.OfType<WebSocketConnection>().Where(c => c.ClosedCleanly && c.Stream is { Down: not null, Up: not null }).ToList();
        if (closed.Count == 0)
        {
            if (result.Problems.Count == 0) result.Problems.Add("no WebSocket connection closed cleanly, so its bytes could not be accounted for");
            return;
        }
        FrameCounts up = default, down = default;
        long handshakeUp = 0, handshakeDown = 0, unaccounted = 0, received = 0;
        bool headsComplete = true;
        foreach (var c in closed)
        {
            var s = c.Stream!;
            headsComplete &= s.Up!.HeadComplete && s.Down!.HeadComplete;
            var (hu, hd) = c.Handshake;
            var fu = s.Up!.Counts;
            var fd = s.Down!.Counts;
            handshakeUp += hu;
            handshakeDown += hd;
            up += fu;
            down += fd;
            unaccounted += (s.BytesWritten - hu - fu.TotalBytes) + (s.BytesRead - hd - fd.TotalBytes);
            received += c.Received;
        }
        if (!headsComplete) result.Problems.Add("an HTTP upgrade head never ended with a blank line (CRLF CRLF): its frames could not be counted");
        if (down.LostSync || up.LostSync) result.Problems.Add("a WebSocket frame header made no sense: byte accounting lost its place");
        if (unaccounted != 0) result.Problems.Add($"{unaccounted} WebSocket bytes are neither handshake nor frames");
        if (down.DataMessages != received) result.Problems.Add($"{down.DataMessages} data messages arrived but the clients counted {received}");
        result.WebSocket = new WebSocketAccounting(closed.Count, handshakeUp, handshakeDown, up, down, unaccounted,
            ResultChecks.Per(down.DataHeaderBytes, down.DataMessages), ResultChecks.Per(up.DataHeaderBytes, up.DataMessages),
            ResultChecks.Per(down.DataPayloadBytes, down.DataMessages), ResultChecks.Per(up.DataPayloadBytes, up.DataMessages));
    }
}

/// <summary>
/// The framework's <see cref="ClientWebSocket"/> over a connection the bench opens itself (<see cref="HttpStack"/>), so
/// every byte (handshake and frames) passes through a <see cref="CountingStream"/>. Over HTTP/1.1 (plain or TLS) each
/// client gets its own handler and connection, whose HTTP-layer bytes are split into upgrade and RFC 6455 frames;
/// over HTTP/2 the WebSocket is a stream of a shared connection (RFC 8441) and only the connection's bytes are counted.
/// Sends reuse the caller's buffer, receives a pooled one; nothing is allocated per message.
/// </summary>
internal sealed class WebSocketConnection(int index, RunContext context, ClientCounters counters, SessionKind kind)
    : BenchConnection(index, context, counters, kind)
{
    private readonly ClientWebSocket _socket = new();
    private HttpMessageInvoker? _invoker;
    private CountingStream? _stream;
    private volatile bool _finishing;

    /// <summary>Bytes of the HTTP upgrade (request up, 101 response down), as the frame meters delimited them.</summary>
    public (long Up, long Down) Handshake => (_stream?.Up?.HeadBytes ?? 0, _stream?.Down?.HeadBytes ?? 0);

    public CountingStream? Stream => _stream;

    /// <summary>True when the close handshake finished, so the byte accounting of this connection is complete.</summary>
    public bool ClosedCleanly { get; private set; }

    /// <summary>Messages this connection received (the accounting compares them with the data frames).</summary>
    public long Received => Volatile.Read(ref Counters.Received);

    private string PathAndQuery => Kind switch
    {
        SessionKind.Echo => "/ws?echo=exact",
        SessionKind.Push => $"/ws?{Context.Settings.PushQuery}",
        _ => "/ws",
    };

    public override bool SendsWithoutAnswer => true;

    public override async Task OpenAsync(CancellationToken cancel)
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
        _socket.Options.HttpVersion = HttpStack.Version(stack);
        _socket.Options.HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        _socket.Options.KeepAliveInterval = TimeSpan.Zero; // the client sends no keep-alive frames of its own
        if (Context.Spec.Headers == HeaderProfile.Chromium)
        {
            string origin = Context.BaseUri.GetLeftPart(UriPartial.Authority);
            foreach (var (name, value) in ChromiumHeaders.WebSocketUpgrade)
            {
                // With --compression the framework makes the offer itself (it must know it offered to accept the answer).
                if (Context.Settings.Compression && name == "Sec-WebSocket-Extensions") continue;
                _socket.Options.SetRequestHeader(name, ChromiumHeaders.Expand(value, origin));
            }
        }
        if (Context.Settings.Compression) _socket.Options.DangerousDeflateOptions = new WebSocketDeflateOptions(); // 15/15 bits, context takeover
        var uri = new UriBuilder(new Uri(Context.BaseUri, PathAndQuery)) { Scheme = Context.BaseUri.Scheme == "https" ? "wss" : "ws" }.Uri;
        await _socket.ConnectAsync(uri, invoker, cancel);
    }

    /// <summary>Reads messages until the server's close frame; a message that does not fit the buffer is an error.</summary>
    public override async Task ReceiveAsync(IMessageSink sink)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(Math.Max(256, Context.Settings.Size + 64));
        try
        {
            while (true)
            {
                var (count, type) = await ReceiveMessageAsync(buffer, Context.Abort);
                if (type == WebSocketMessageType.Close)
                {
                    OnServerClosed();
                    return;
                }
                if (count < 0) Error($"a message was longer than the {buffer.Length} bytes any message of this run can be");
                else sink.OnMessage(buffer.AsSpan(0, count));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<bool> SendAsync(long sequence, ReadOnlyMemory<byte> message)
    {
        await _socket.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, Context.Abort);
        return true;
    }

    /// <summary>Frames due in one pacing tick leave in one write() (see <see cref="CountingStream.Cork"/>).</summary>
    public override void BeginBatch() => _stream?.Cork();

    public override ValueTask EndBatchAsync() => _stream?.UncorkAsync(Context.Abort) ?? ValueTask.CompletedTask;

    /// <summary>Receives one whole message into <paramref name="buffer"/>; Count = -1 when it did not fit (the rest is skipped).</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))] // completes asynchronously per message: must not allocate
    private async ValueTask<(int Count, WebSocketMessageType Type)> ReceiveMessageAsync(byte[] buffer, CancellationToken cancel)
    {
        int count = 0;
        while (true)
        {
            if (count == buffer.Length)
            {
                ValueWebSocketReceiveResult rest;
                do rest = await _socket.ReceiveAsync(buffer.AsMemory(), cancel);
                while (!rest.EndOfMessage && rest.MessageType != WebSocketMessageType.Close);
                return (-1, rest.MessageType);
            }
            var result = await _socket.ReceiveAsync(buffer.AsMemory(count), cancel);
            if (result.MessageType == WebSocketMessageType.Close) return (0, WebSocketMessageType.Close);
            count += result.Count;
            if (result.EndOfMessage) return (count, result.MessageType);
        }
    }

    /// <summary>Sends our close frame; the receive loop ends when the server's arrives.</summary>
    public override async Task FinishAsync()
    {
        _finishing = true;
        try
        {
            if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, Context.Abort);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The receive loop reports what went wrong (or the connection is already gone).
        }
    }

    /// <summary>The server's close frame arrived: after ours (or the window's end) it is the clean end, before them an error.</summary>
    private void OnServerClosed()
    {
        if (_finishing || Context.Stop.IsCancellationRequested) ClosedCleanly = true;
        else Error($"the server closed the WebSocket during the run ({_socket.CloseStatus} {_socket.CloseStatusDescription})");
    }

    public override Task CloseAsync()
    {
        if (_socket.State != WebSocketState.Closed) _socket.Abort();
        _socket.Dispose();
        _invoker?.Dispose();
        return Task.CompletedTask;
    }
}
