using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace PushCompare.E2ETests;

/// <summary>
/// The server's metering against Chromium's network log over HTTP/2 + TLS. Chromium gives no request sizes
/// on HTTP/2, so the response side is compared: per session the server's <c>bytesOut</c> equals the sum of
/// <c>Network.loadingFinished.encodedDataLength</c> of the session's requests — on HTTP/2 each HEADERS frame whole
/// (9-byte header + HPACK block) plus 9 bytes and the payload per DATA frame, no TLS and no stream-0 frames. A WebSocket
/// over HTTP/2 (RFC 8441) has no encodedDataLength: its RFC 6455 frames inside the CONNECT stream's DATA are compared.
/// </summary>
[Collection(TrafficBrowserCollection.Name)]
public sealed class Http2WireBytesTests(BrowserFixture browser, ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan EventWait = TimeSpan.FromSeconds(15);
    private static readonly string[] Workload = ["Hello, world!", "héllo wörld ✓", new string('x', 200)];

    private readonly HttpsAppHost _app = new();
    private Uri _base = null!;
    private IBrowserContext _context = null!;
    private EchoPage _echo = null!;
    private CdpTraffic _cdp = null!;

    public async Task InitializeAsync()
    {
        _base = _app.Start();
        _context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = _base.ToString(),
            IgnoreHTTPSErrors = true, // the app's own self-signed certificate
            ViewportSize = new ViewportSize { Width = 1280, Height = 800 },
        });
        _echo = new EchoPage(await _context.NewPageAsync());
        _cdp = await CdpTraffic.AttachAsync(_echo.Page);
    }

    public async Task DisposeAsync()
    {
        await _context.CloseAsync();
        await _app.DisposeAsync();
    }

    [Theory]
    [InlineData("longpoll", "/poll")]
    [InlineData("shortpoll", "/poll")]
    [InlineData("sse", "/sse")]
    public async Task Session_response_bytes_over_HTTP2_equal_the_encodedDataLength_chromium_reported(string transport, string endpoint)
    {
        string key = await RunWorkloadAsync(transport);
        string id = Assert.Single(_cdp.SessionIds(endpoint));
        await _cdp.SessionSettledAsync(endpoint, id, EventWait);
        var exchanges = _cdp.Session(endpoint, id);
        Assert.All(exchanges, x => Assert.Equal("h2", x.Protocol));
        Assert.All(exchanges, x => Assert.True(x.Failed is null, $"{x.Method} {x.Url} failed: {x.Failed}"));
        long cdpOut = exchanges.Sum(x => x.EncodedDataLength!.Value);

        var session = await SessionAsync(transport, key);
        output.WriteLine($"{transport} over h2, session {key}: CDP {exchanges.Count} requests, {cdpOut} bytes out; server {session.ToJsonString()}");
        Assert.Equal(exchanges.Count, Long(session, "requests"));
        Assert.Equal(cdpOut, Long(session, "bytesOut"));
        // The wire layer adds the records' overhead, which Chromium does not report.
        Assert.True(Long(session, "wireBytesOut") > Long(session, "bytesOut"));
        await Expect(_echo.Page.GetByTestId($"live-{transport}-bytesOut")).ToHaveAttributeAsync("data-value", cdpOut.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task A_WebSocket_over_HTTP2_counts_the_RFC_6455_frames_chromium_reported_inside_its_CONNECT_stream()
    {
        string key = await RunWorkloadAsync("websocket");
        await _cdp.WebSocketClosedAsync(key, EventWait);
        var socket = _cdp.WebSocket(key);
        Assert.Equal(Workload.Select(t => "Received: " + t).Select(Utf8), socket.Received);
        int close = 2 + Utf8(EchoPage.DisconnectReason);

        var session = await SessionAsync("websocket", key);
        output.WriteLine($"websocket over h2, session {key}: CDP received {string.Join(", ", socket.Received)}; server {session.ToJsonString()}");
        // The WebSocket layer: each reply and the close, with their RFC 6455 headers, in both directions.
        Assert.Equal(socket.Received.Count + 1, Long(session, "framesOut"));
        Assert.Equal(socket.Received.Sum(p => CdpTraffic.FrameHeader(p, masked: false)) + CdpTraffic.FrameHeader(close, masked: false), Long(session, "frameHeaderBytesOut"));
        Assert.Equal(socket.Sent.Sum(p => CdpTraffic.FrameHeader(p, masked: true)) + CdpTraffic.FrameHeader(close, masked: true), Long(session, "frameHeaderBytesIn"));
        Assert.Equal(socket.Received.Sum(), Long(session, "payloadBytesOut"));
        // The HTTP/2 layer around it: the 200's HEADERS frame and 9 bytes per DATA frame (at least one per RFC 6455 frame).
        long webSocketBytesOut = Long(session, "frameHeaderBytesOut") + Long(session, "payloadBytesOut") + close;
        Assert.True(Long(session, "bytesOut") >= webSocketBytesOut + 9 + 9 * Long(session, "framesOut"),
            $"bytesOut {Long(session, "bytesOut")} should hold the {webSocketBytesOut} WebSocket bytes, a HEADERS frame and a DATA header per frame");
    }

    private async Task<string> RunWorkloadAsync(string transport)
    {
        string key = await _echo.EchoEachAsync(transport, Workload);
        await _echo.DisconnectAsync();
        return key;
    }

    private async Task<JsonNode> SessionAsync(string transport, string key)
    {
        using var http = new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true }) { BaseAddress = _base };
        var stats = await http.GetFromJsonAsync<JsonNode>($"/api/stats?session={Uri.EscapeDataString(key)}");
        var session = Assert.Single(stats!["sessions"]!.AsArray())!;
        Assert.Equal(transport, session["transport"]!.GetValue<string>());
        Assert.False(session["open"]!.GetValue<bool>());
        return session;
    }

    private static long Long(JsonNode node, string name) => node[name]!.GetValue<long>();

    private static int Utf8(string text) => System.Text.Encoding.UTF8.GetByteCount(text);
}
