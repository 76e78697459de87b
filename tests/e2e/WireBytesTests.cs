using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace PushCompare.E2ETests;

/// <summary>
/// The server's metering against the browser's own network log: for one session, the requests and bytes the page's
/// live panel shows (from /api/stats) equal, exactly, what Chromium reported over CDP. Each test runs in its own
/// browser context and compares the figures of its own session only.
/// </summary>
[Collection(TrafficBrowserCollection.Name)]
public sealed class WireBytesTests(BrowserFixture browser, ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan EventWait = TimeSpan.FromSeconds(15);

    // ASCII, multi-byte UTF-8, and one long enough (≥ 126 bytes) for the 16-bit extended length of RFC 6455 §5.2.
    private static readonly string[] Workload = ["Hello, world!", "héllo wörld ✓", new string('x', 200)];
    private const string Flush = "one more";

    private EchoPage _echo = null!;
    private CdpTraffic _cdp = null!;

    public async Task InitializeAsync()
    {
        _echo = new EchoPage(await browser.NewPageAsync());
        _cdp = await CdpTraffic.AttachAsync(_echo.Page);
    }

    public Task DisposeAsync() => _echo.Page.Context.CloseAsync();

    [Fact]
    public async Task WebSocket_session_bytes_equal_the_handshake_and_frames_chromium_reported()
    {
        string key = await RunWorkloadAsync("websocket");
        await _cdp.WebSocketClosedAsync(key, EventWait);

        var socket = _cdp.WebSocket(key);
        Assert.Equal(Workload.Select(Utf8), socket.Sent);
        Assert.Equal(Workload.Select(t => Utf8("Received: " + t)), socket.Received);
        var cdp = socket.Count(closePayload: 2 + Utf8(EchoPage.DisconnectReason));

        await ExpectPageAndServerShowAsync("websocket", key, cdp);
        // What the page itself counted: the data frames with their headers (it cannot see the handshake or the close).
        await ExpectFigureAsync("browser-websocket-bytesSent", socket.Sent.Sum(p => p + CdpTraffic.FrameHeader(p, masked: true)));
        await ExpectFigureAsync("browser-websocket-bytesReceived", socket.Received.Sum(p => p + CdpTraffic.FrameHeader(p, masked: false)));
    }

    [Theory]
    [InlineData("longpoll")]
    [InlineData("shortpoll")]
    public async Task Polling_session_bytes_equal_every_request_and_response_chromium_reported(string transport)
    {
        string key = await RunWorkloadAsync(transport);
        // The page shows the session's stats key; its requests carry the id, which only the 201 of POST /poll names.
        string id = Assert.Single(_cdp.SessionIds("/poll"));
        Assert.NotEqual(id, key);
        await _cdp.SessionSettledAsync("/poll", id, EventWait);

        var exchanges = _cdp.Session("/poll", id);
        var sends = exchanges.Where(x => x.Method == "POST" && x.Url!.AbsolutePath != "/poll").ToList();
        Assert.Equal(Workload, sends.Select(x => x.Body));
        Assert.Single(exchanges, x => x.Method == "POST" && x.Url!.AbsolutePath == "/poll");
        Assert.Single(exchanges, x => x.Method == "DELETE");
        Assert.Contains(exchanges, x => x.Method == "GET");
        var cdp = CdpTraffic.Count(exchanges);

        await ExpectPageAndServerShowAsync(transport, key, cdp);
        // Resource Timing saw every one of them too (it cannot see their header bytes).
        await ExpectFigureAsync($"browser-{transport}-requests", cdp.Requests);
    }

    [Fact]
    public async Task Server_sent_events_session_bytes_equal_chromiums_while_the_stream_is_open_and_after_disconnect()
    {
        string key = await EchoWorkloadAsync("sse");
        string id = Assert.Single(_cdp.SessionIds("/sse"));
        Assert.NotEqual(id, key);
        await _cdp.SessionAsync("/sse", id, all => all.Count(IsSend) == Workload.Length && all.All(x => x.Method == "GET" || x.EncodedDataLength is not null)
            && Messages(all.SingleOrDefault(x => x.Method == "GET")).Count == Workload.Length, EventWait);
        var exchanges = _cdp.Session("/sse", id);
        var stream = Assert.Single(exchanges, x => x.Method == "GET");
        Assert.Equal(200, stream.Status);
        Assert.Equal(Workload.Select(t => "Received: " + t), Messages(stream).Select(m => m.Data));
        Assert.Equal(["1", "2", "3"], Messages(stream).Select(m => m.Id));
        Assert.Equal(Workload, exchanges.Where(IsSend).Select(x => x.Body));

        // While the stream is open, the page has every reply and the server has nothing more to write: its figures now.
        var before = await ServerFiguresAsync("sse", key, open: true);
        await _echo.Page.GetByTestId("live-refresh").ClickAsync();
        await ExpectPanelShowsAsync("sse", before);
        // Resource Timing has an entry for each finished request only: the stream's comes when it ends.
        await ExpectFigureAsync("browser-sse-requests", before.Requests - 1);

        // Chromium reports a chunk's wire size apart from the chunk, and DevTools passes it on with a later chunk's
        // Network.dataReceived (or at the end of the response): the sums so far may lack the last event's bytes. So the
        // page sends one more message: when its event arrives, CDP has reported every byte before it — and, if the size
        // report won the race with the data, that event's too. Its sums so far then equal the server's figures from
        // before that message, or from after it: either is an exact count of the open stream.
        output.WriteLine($"sse stream, last event's size not in yet: CDP reported {stream.ResponseBytesSoFar} of its bytes");
        await _echo.SendAsync(Flush);
        await Expect(_echo.ReceivedExactly("Received: " + Flush)).ToHaveCountAsync(1);
        await _cdp.SessionAsync("/sse", id, all => Messages(stream).Count == Workload.Length + 1 && all.Count(IsSend) == Workload.Length + 1
            && all.All(x => x.Method == "GET" || x.EncodedDataLength is not null), EventWait);
        var after = await ServerFiguresAsync("sse", key, open: true);
        long reported = Messages(stream)[^1].BytesReportedSoFar;
        var cdpBefore = CdpTraffic.CountWhileStreaming(exchanges, stream, reported);
        var cdpAfter = CdpTraffic.CountWhileStreaming(_cdp.Session("/sse", id), stream, reported);
        output.WriteLine($"sse session {key}, stream open: CDP {cdpBefore} / with the last message {cdpAfter}; server {before} / {after}");
        Assert.Equal(2 + Workload.Length, before.Requests); // POST /sse, the stream, the sends
        Assert.True(cdpBefore == before || cdpAfter == after,
            $"while the stream was open, CDP's sums ({cdpBefore}, or {cdpAfter} with the last message) equal neither the server's figures before it ({before}) nor after it ({after})");

        await DisconnectAsync();
        await _cdp.SessionSettledAsync("/sse", id, EventWait);
        exchanges = _cdp.Session("/sse", id);
        Assert.Single(exchanges, x => x.Method == "DELETE");
        // The DELETE made the server end the stream, so it finished loading: no abort, every byte arrived.
        Assert.Null(Assert.Single(exchanges, x => x.Method == "GET").Failed);
        var cdp = CdpTraffic.Count(exchanges);
        Assert.Equal(after.Requests + 1, cdp.Requests); // and the DELETE

        await ExpectPageAndServerShowAsync("sse", key, cdp, messagesOut: Workload.Length + 1);
        await ExpectFigureAsync("browser-sse-requests", cdp.Requests);
    }

    // Opens the page on the transport, echoes the workload, disconnects; answers the session key the page shows.
    private async Task<string> RunWorkloadAsync(string transport)
    {
        string key = await EchoWorkloadAsync(transport);
        await DisconnectAsync();
        return key;
    }

    private Task<string> EchoWorkloadAsync(string transport) => _echo.EchoEachAsync(transport, Workload);

    private Task DisconnectAsync() => _echo.DisconnectAsync();

    private async Task ExpectPageAndServerShowAsync(string transport, string key, WireCount cdp, int? messagesOut = null)
    {
        // The page's live panel: the server's figures for its own session, refreshed after the close.
        await ExpectPanelShowsAsync(transport, cdp);
        await ExpectFigureAsync($"live-{transport}-messagesOut", messagesOut ?? Workload.Length);

        // And the server itself, asked directly.
        output.WriteLine($"{transport} session {key}: CDP {cdp}");
        Assert.Equal(cdp, await ServerFiguresAsync(transport, key, open: false));
    }

    private async Task ExpectPanelShowsAsync(string transport, WireCount cdp)
    {
        await ExpectFigureAsync($"live-{transport}-requests", cdp.Requests);
        await ExpectFigureAsync($"live-{transport}-bytesIn", cdp.BytesIn);
        await ExpectFigureAsync($"live-{transport}-bytesOut", cdp.BytesOut);
    }

    // GET /api/stats?session=KEY from the test itself: the session's requests and bytes, and whether it is open.
    private async Task<WireCount> ServerFiguresAsync(string transport, string key, bool open)
    {
        using var http = new HttpClient { BaseAddress = browser.BaseUrl };
        var stats = await http.GetFromJsonAsync<JsonNode>($"/api/stats?session={Uri.EscapeDataString(key)}");
        var session = Assert.Single(stats!["sessions"]!.AsArray())!;
        Assert.Equal(transport, session["transport"]!.GetValue<string>());
        Assert.Equal(open, session["open"]!.GetValue<bool>());
        var server = new WireCount((int)session["requests"]!.GetValue<long>(), session["bytesIn"]!.GetValue<long>(), session["bytesOut"]!.GetValue<long>());
        output.WriteLine($"{transport} session {key} ({(open ? "open" : "closed")}): server {server}");
        return server;
    }

    // The stream's events of the default type (the session's messages), heartbeats left out.
    private static List<EventSourceMessage> Messages(HttpExchange? stream) => stream?.EventSourceMessages.Where(m => m.Name == "message").ToList() ?? [];

    private static bool IsSend(HttpExchange x) => x.Method == "POST" && x.Url!.AbsolutePath.Count(c => c == '/') == 2;

    private Task ExpectFigureAsync(string testId, long value) => _echo.ExpectFigureAsync(testId, value);

    private static int Utf8(string text) => System.Text.Encoding.UTF8.GetByteCount(text);
}
