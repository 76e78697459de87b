using System.Text;
using System.Text.Json;
using Microsoft.Playwright;

namespace PushCompare.E2ETests;

/// <summary>Bytes and requests of one session as Chromium's network stack reported them over CDP.</summary>
public sealed record WireCount(int Requests, long BytesIn, long BytesOut)
{
    public override string ToString() => $"{Requests} requests, {BytesIn} bytes in, {BytesOut} bytes out";
}

/// <summary>
/// The page's traffic as the Chrome DevTools Protocol reports it (what devtools' Network tab shows), counted without
/// any help from the page or the server: HTTP request = request line + the headers of
/// <c>Network.requestWillBeSentExtraInfo</c> + body; HTTP response = <c>Network.loadingFinished.encodedDataLength</c>,
/// or, for a response still streaming (an EventSource's), its <c>Network.responseReceived</c> headers size plus every
/// <c>Network.dataReceived.encodedDataLength</c> so far; WebSocket = the handshake (request headers, raw 101 <c>headersText</c>) + every frame's payload + its RFC 6455 §5.2 header.
/// </summary>
public sealed class CdpTraffic
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, HttpExchange> _http = [];
    private readonly Dictionary<string, WebSocketConnection> _sockets = [];
    private readonly List<(Func<bool> Done, TaskCompletionSource Signal)> _waiters = [];

    public static async Task<CdpTraffic> AttachAsync(IPage page)
    {
        var cdp = await page.Context.NewCDPSessionAsync(page);
        var traffic = new CdpTraffic();
        void On(string name, Action<JsonElement> handle) => cdp.Event(name).OnEvent += (_, e) =>
        {
            lock (traffic._gate)
            {
                handle(e!.Value);
                traffic.Notify();
            }
        };
        On("Network.requestWillBeSent", e =>
        {
            var x = traffic.Http(e);
            var request = e.GetProperty("request");
            x.Method = request.GetProperty("method").GetString()!;
            x.Url = new Uri(request.GetProperty("url").GetString()!);
            if (request.TryGetProperty("postData", out var body)) x.Body = body.GetString();
            x.HasBody = request.TryGetProperty("hasPostData", out var has) && has.GetBoolean();
        });
        On("Network.requestWillBeSentExtraInfo", e => traffic.Http(e).RequestHeaders = e.GetProperty("headers").Clone());
        On("Network.responseReceived", e =>
        {
            var x = traffic.Http(e);
            var response = e.GetProperty("response");
            x.Protocol = response.GetProperty("protocol").GetString();
            x.Status = response.GetProperty("status").GetInt32();
            x.HeadersReceived = (long)response.GetProperty("encodedDataLength").GetDouble(); // the status line and headers
        });
        On("Network.dataReceived", e => traffic.Http(e).DataReceived += (long)e.GetProperty("encodedDataLength").GetDouble());
        On("Network.eventSourceMessageReceived", e =>
        {
            var x = traffic.Http(e);
            x.EventSourceMessages.Add(new(e.GetProperty("eventName").GetString()!, e.GetProperty("eventId").GetString()!,
                e.GetProperty("data").GetString()!, x.ResponseBytesSoFar));
        });
        On("Network.responseReceivedExtraInfo", e => traffic.Http(e).ResponseHeaders = e.GetProperty("headers").Clone());
        On("Network.loadingFinished", e => traffic.Http(e).EncodedDataLength = (long)e.GetProperty("encodedDataLength").GetDouble());
        On("Network.loadingFailed", e => traffic.Http(e).Failed = e.GetProperty("errorText").GetString());
        On("Network.webSocketCreated", e => traffic.Socket(e).Url = new Uri(e.GetProperty("url").GetString()!));
        On("Network.webSocketHandshakeResponseReceived", e =>
        {
            var response = e.GetProperty("response");
            var ws = traffic.Socket(e);
            ws.RequestHeaders = response.GetProperty("requestHeaders").Clone();
            ws.ResponseHeadersText = response.GetProperty("headersText").GetString();
        });
        On("Network.webSocketFrameSent", e => traffic.Socket(e).Sent.Add(PayloadLength(e)));
        On("Network.webSocketFrameReceived", e => traffic.Socket(e).Received.Add(PayloadLength(e)));
        On("Network.webSocketClosed", e => traffic.Socket(e).Closed = true);
        await cdp.SendAsync("Network.enable");
        return traffic;
    }

    /// <summary>
    /// Every request of the session <paramref name="id"/> opened at <paramref name="endpoint"/> (<c>/poll</c>, <c>/sse</c>):
    /// its opening <c>POST</c> (found by the 201's Location) and every request under <c>{endpoint}/{id}</c>.
    /// </summary>
    public IReadOnlyList<HttpExchange> Session(string endpoint, string id)
    {
        lock (_gate)
        {
            return [.. _http.Values.Where(x => x.Url is { } url && (url.AbsolutePath == $"{endpoint}/{id}" || url.AbsolutePath.StartsWith($"{endpoint}/{id}/", StringComparison.Ordinal)
                || x.Method == "POST" && url.AbsolutePath == endpoint && Header(x.ResponseHeaders, "Location") == $"{endpoint}/{id}"))];
        }
    }

    /// <summary>The ids of every session the page opened at <paramref name="endpoint"/>: the <c>Location</c> of each <c>201</c> to its <c>POST</c>.</summary>
    public IReadOnlyList<string> SessionIds(string endpoint)
    {
        lock (_gate)
        {
            return [.. _http.Values.Where(x => x.Method == "POST" && x.Url?.AbsolutePath == endpoint)
                .Select(x => Header(x.ResponseHeaders, "Location")).OfType<string>()
                .Where(l => l.StartsWith($"{endpoint}/", StringComparison.Ordinal)).Select(l => l[(endpoint.Length + 1)..]).Distinct()];
        }
    }

    /// <summary>Resolves once every request of the session has finished loading (a request still open has no size yet).</summary>
    public Task SessionSettledAsync(string endpoint, string id, TimeSpan timeout) =>
        WhenAsync(() => Session(endpoint, id) is { Count: > 0 } all && all.All(x => x.EncodedDataLength is not null || x.Failed is not null), timeout);

    /// <summary>Resolves once <paramref name="done"/> holds for the session's requests, checked after every CDP event.</summary>
    public Task SessionAsync(string endpoint, string id, Func<IReadOnlyList<HttpExchange>, bool> done, TimeSpan timeout) =>
        WhenAsync(() => done(Session(endpoint, id)), timeout);

    /// <summary>The WebSocket opened with <c>?client=<paramref name="key"/></c>.</summary>
    public WebSocketConnection WebSocket(string key)
    {
        lock (_gate) return _sockets.Values.Single(s => s.Url?.Query.Contains($"client={key}", StringComparison.Ordinal) == true);
    }

    public Task WebSocketClosedAsync(string key, TimeSpan timeout) =>
        WhenAsync(() => _sockets.Values.Any(s => s.Url?.Query.Contains($"client={key}", StringComparison.Ordinal) == true && s.Closed), timeout);

    /// <summary>Sums the requests of a session; fails if any did not complete (it would have no response size).</summary>
    public static WireCount Count(IReadOnlyList<HttpExchange> exchanges)
    {
        long bytesIn = 0, bytesOut = 0;
        foreach (var x in exchanges)
        {
            Assert.True(x.Failed is null, $"{x.Method} {x.Url} failed in the browser: {x.Failed}");
            bytesIn += x.RequestBytes;
            bytesOut += x.EncodedDataLength!.Value;
        }
        return new(exchanges.Count, bytesIn, bytesOut);
    }

    /// <summary>
    /// Sums the requests of a session of which <paramref name="streaming"/> is still open, counting
    /// <paramref name="streamBytes"/> as its response so far; every other request must have completed.
    /// </summary>
    public static WireCount CountWhileStreaming(IReadOnlyList<HttpExchange> exchanges, HttpExchange streaming, long streamBytes)
    {
        Assert.True(streaming.EncodedDataLength is null && streaming.Failed is null, $"{streaming.Method} {streaming.Url} is no longer open");
        var finished = Count([.. exchanges.Where(x => x != streaming)]);
        return new(finished.Requests + 1, finished.BytesIn + streaming.RequestBytes, finished.BytesOut + streamBytes);
    }

    private Task WhenAsync(Func<bool> done, TimeSpan timeout)
    {
        var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (done()) return Task.CompletedTask;
            _waiters.Add((done, signal));
        }
        return signal.Task.WaitAsync(timeout);
    }

    // Called under the lock after every event.
    private void Notify()
    {
        for (int i = _waiters.Count - 1; i >= 0; i--)
        {
            if (!_waiters[i].Done()) continue;
            _waiters[i].Signal.TrySetResult();
            _waiters.RemoveAt(i);
        }
    }

    private HttpExchange Http(JsonElement e) => GetOrAdd(_http, e.GetProperty("requestId").GetString()!);

    private WebSocketConnection Socket(JsonElement e) => GetOrAdd(_sockets, e.GetProperty("requestId").GetString()!);

    private static T GetOrAdd<T>(Dictionary<string, T> map, string id) where T : new()
    {
        if (!map.TryGetValue(id, out var value)) map[id] = value = new T();
        return value;
    }

    // Text frames carry their payload as text (UTF-8 on the wire), binary ones as base64.
    private static int PayloadLength(JsonElement e)
    {
        var response = e.GetProperty("response");
        string data = response.GetProperty("payloadData").GetString()!;
        return response.GetProperty("opcode").GetInt32() == 2 ? Convert.FromBase64String(data).Length : Encoding.UTF8.GetByteCount(data);
    }

    public static string? Header(JsonElement? headers, string name) =>
        headers?.EnumerateObject().FirstOrDefault(h => h.Name.Equals(name, StringComparison.OrdinalIgnoreCase)).Value is { ValueKind: JsonValueKind.String } v
            ? v.GetString()
            : null;

    /// <summary>A request line and headers as HTTP/1.1 puts them on the wire: "METHOD target HTTP/1.1", "Name: value" lines, each ending CRLF, then an empty line.</summary>
    public static long HeadBytes(string method, Uri url, JsonElement headers)
    {
        long bytes = Encoding.ASCII.GetByteCount($"{method} {url.PathAndQuery} HTTP/1.1\r\n");
        foreach (var header in headers.EnumerateObject())
        {
            bytes += Encoding.UTF8.GetByteCount($"{header.Name}: {header.Value.GetString()}\r\n");
        }
        return bytes + 2;
    }

    /// <summary>RFC 6455 §5.2: 2 header bytes, +2 for a 126–65,535-byte payload, +8 above; +4 for the mask key of a client's frame.</summary>
    public static int FrameHeader(int payload, bool masked) => 2 + (payload < 126 ? 0 : payload <= 65_535 ? 2 : 8) + (masked ? 4 : 0);
}

public sealed class HttpExchange
{
    public string Method { get; set; } = "";
    public Uri? Url { get; set; }
    public string? Body { get; set; }
    public bool HasBody { get; set; }
    public JsonElement? RequestHeaders { get; set; }
    public JsonElement? ResponseHeaders { get; set; }
    public string? Protocol { get; set; }
    public int? Status { get; set; }
    public long? EncodedDataLength { get; set; }
    public string? Failed { get; set; }

    /// <summary>Status line and headers, as <c>Network.responseReceived</c> reports them (null until the response started).</summary>
    public long? HeadersReceived { get; set; }

    /// <summary>The sum of every <c>Network.dataReceived.encodedDataLength</c>: body bytes as they crossed the wire (chunk framing included).</summary>
    public long DataReceived { get; set; }

    /// <summary>Every <c>Network.eventSourceMessageReceived</c> of an EventSource's stream, in order (heartbeats too).</summary>
    public List<EventSourceMessage> EventSourceMessages { get; } = [];

    /// <summary>Response bytes so far of a response still arriving: its headers plus every chunk received.</summary>
    public long ResponseBytesSoFar => HeadersReceived!.Value + DataReceived;

    public long RequestBytes
    {
        get
        {
            Assert.Equal("http/1.1", Protocol);
            Assert.True(RequestHeaders is not null, $"no raw request headers for {Method} {Url}");
            Assert.True(!HasBody || Body is not null, $"CDP did not hand over the body of {Method} {Url}");
            return CdpTraffic.HeadBytes(Method, Url!, RequestHeaders!.Value) + Encoding.UTF8.GetByteCount(Body ?? "");
        }
    }
}

/// <summary>One event of an EventSource's stream, and the stream's response bytes CDP had reported when it arrived.</summary>
public sealed record EventSourceMessage(string Name, string Id, string Data, long BytesReportedSoFar);

public sealed class WebSocketConnection
{
    public Uri? Url { get; set; }
    public JsonElement? RequestHeaders { get; set; }
    public string? ResponseHeadersText { get; set; }
    public List<int> Sent { get; } = [];
    public List<int> Received { get; } = [];
    public bool Closed { get; set; }

    /// <summary>
    /// Handshake plus data frames plus the close frames: CDP reports no control frames, so the closing handshake is
    /// added by arithmetic — <paramref name="closePayload"/> bytes (2-byte code + reason) each way, the server echoing the client's.
    /// </summary>
    public WireCount Count(int closePayload)
    {
        var handshake = CdpTraffic.HeadBytes("GET", Url!, RequestHeaders!.Value);
        long bytesIn = handshake + Sent.Sum(p => p + CdpTraffic.FrameHeader(p, masked: true)) + closePayload + CdpTraffic.FrameHeader(closePayload, masked: true);
        long bytesOut = Encoding.ASCII.GetByteCount(ResponseHeadersText!) + Received.Sum(p => p + CdpTraffic.FrameHeader(p, masked: false))
            + closePayload + CdpTraffic.FrameHeader(closePayload, masked: false);
        return new(1, bytesIn, bytesOut);
    }
}
