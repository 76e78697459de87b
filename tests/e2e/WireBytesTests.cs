using PushCompare.Web.Sessions;
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
[Collection(BrowserCollection.Name)]
public sealed class WireBytesTests(BrowserFixture browser, ITestOutputHelper output) : IAsyncLifetime
{
    private const string CloseReason = "Disconnect clicked"; // the page closes with 1000 and this reason; the server echoes both
    private static readonly TimeSpan EventWait = TimeSpan.FromSeconds(15);

    // ASCII, multi-byte UTF-8, and one long enough (≥ 126 bytes) for the 16-bit extended length of RFC 6455 §5.2.
    private static readonly string[] Workload = ["Hello, world!", "héllo wörld ✓", new string('x', 200)];

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
        var cdp = socket.Count(closePayload: 2 + Utf8(CloseReason));

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
        string id = Assert.Single(_cdp.PollSessionIds());
        Assert.NotEqual(id, key);
        await _cdp.PollSessionSettledAsync(id, EventWait);

        var exchanges = _cdp.MessageSession(id);
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

    // Opens the page on the transport, echoes the workload, disconnects; answers the session key the page shows.
    private async Task<string> RunWorkloadAsync(string transport)
    {
        await _echo.OpenAsync(transport);
        for (int i = 0; i < Workload.Length; i++)
        {
            await _echo.SendAsync(Workload[i]);
            await Expect(_echo.Received).ToHaveCountAsync(i + 1);
        }
        await Expect(_echo.Received.Locator(".text")).ToHaveTextAsync(Workload.Select(t => "Received: " + t).ToArray());
        await _echo.Disconnect.ClickAsync();
        await Expect(_echo.EventsWith($"close — code 1000 “{CloseReason}”, clean")).ToHaveCountAsync(1);
        string? key = await _echo.Page.GetByTestId($"live-{transport}-session").GetAttributeAsync("data-value");
        Assert.False(string.IsNullOrEmpty(key), "the live panel shows no session key");
        return key;
    }

    private async Task ExpectPageAndServerShowAsync(string transport, string key, WireCount cdp)
    {
        // The page's live panel: the server's figures for its own session, refreshed after the close.
        await ExpectFigureAsync($"live-{transport}-requests", cdp.Requests);
        await ExpectFigureAsync($"live-{transport}-bytesIn", cdp.BytesIn);
        await ExpectFigureAsync($"live-{transport}-bytesOut", cdp.BytesOut);
        await ExpectFigureAsync($"live-{transport}-messagesOut", Workload.Length);

        // And the server itself, asked directly.
        using var http = new HttpClient { BaseAddress = browser.BaseUrl };
        var stats = await http.GetFromJsonAsync<JsonNode>($"/api/stats?session={Uri.EscapeDataString(key)}");
        var session = Assert.Single(stats!["sessions"]!.AsArray())!;
        Assert.Equal(transport, session["transport"]!.GetValue<string>());
        Assert.False(session["open"]!.GetValue<bool>());
        var server = new WireCount((int)session["requests"]!.GetValue<long>(), session["bytesIn"]!.GetValue<long>(), session["bytesOut"]!.GetValue<long>());
        output.WriteLine($"{transport} session {key}: CDP {cdp}; server {server}");
        Assert.Equal(cdp, server);
    }

    private Task ExpectFigureAsync(string testId, long value) =>
        Expect(_echo.Page.GetByTestId(testId)).ToHaveAttributeAsync("data-value", value.ToString(System.Globalization.CultureInfo.InvariantCulture));

    private static int Utf8(string text) => System.Text.Encoding.UTF8.GetByteCount(text);
}
