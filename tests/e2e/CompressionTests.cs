using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace PushCompare.E2ETests;

/// <summary>
/// Chromium against the app with both compressions on: it offers permessage-deflate in every handshake and sends
/// Accept-Encoding on every request, so both are negotiated; the page still echoes, and what devtools (CDP) reports
/// agrees with the server's figures — message sizes with the application payload, HTTP response sizes with the
/// compressed bytes on the wire.
/// </summary>
[Collection(TrafficBrowserCollection.Name)]
public sealed class CompressionTests(BrowserFixture browser, ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan EventWait = TimeSpan.FromSeconds(15);
    private static readonly string[] Workload = ["Hello, world!", "héllo wörld ✓", string.Concat(Enumerable.Repeat("compress ", 30))];

    private readonly AppHost _app = new(("WebSockets:Compression:Enabled", "true"), ("HttpCompression:Enabled", "true"));
    private Uri _base = null!;
    private EchoPage _echo = null!;
    private CdpTraffic _cdp = null!;

    public async Task InitializeAsync()
    {
        _base = _app.Start();
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = _base.ToString() });
        _echo = new EchoPage(await context.NewPageAsync());
        _cdp = await CdpTraffic.AttachAsync(_echo.Page);
    }

    public async Task DisposeAsync()
    {
        await _echo.Page.Context.CloseAsync();
        await _app.DisposeAsync();
    }

    [Fact]
    public async Task WebSocket_negotiates_permessage_deflate_echoes_and_devtools_message_sizes_equal_the_servers_payload()
    {
        string key = await EchoWorkloadAsync("websocket");
        await _echo.Disconnect.ClickAsync();
        await _cdp.WebSocketClosedAsync(key, EventWait);

        var socket = _cdp.WebSocket(key);
        Assert.Contains("Sec-WebSocket-Extensions: permessage-deflate", socket.ResponseHeadersText, StringComparison.OrdinalIgnoreCase);
        // CDP reports each message as the page sent and received it (inflated): the server's application payload.
        Assert.Equal(Workload.Select(Utf8), socket.Sent);
        Assert.Equal(Workload.Select(t => Utf8("Received: " + t)), socket.Received);
        var server = await SessionAsync(key);
        output.WriteLine($"websocket {key}: {server.ToJsonString()}");
        Assert.Equal(socket.Sent.Sum(), Long(server, "payloadBytesIn"));
        Assert.Equal(socket.Received.Sum(), Long(server, "payloadBytesOut"));
        Assert.Equal(Workload.Length, Long(server, "compressedMessagesIn"));  // Chromium compressed every message
        Assert.Equal(Workload.Length, Long(server, "compressedMessagesOut")); // and so did the server
        Assert.True(Long(server, "framePayloadBytesOut") < Long(server, "payloadBytesOut"));
        // The wire after the 101 is exactly headers + compressed payloads + the close frames, with the 101 as CDP saw it.
        long closePayload = Long(server, "bytesOut") - System.Text.Encoding.ASCII.GetByteCount(socket.ResponseHeadersText!)
            - Long(server, "frameHeaderBytesOut") - Long(server, "framePayloadBytesOut");
        Assert.Equal(2 + Utf8(EchoPage.DisconnectReason), closePayload);
    }

    [Fact]
    public async Task Long_polling_answers_are_compressed_decoded_by_the_page_and_devtools_sizes_equal_the_servers_bytes()
    {
        string key = await EchoWorkloadAsync("longpoll");
        await _echo.Disconnect.ClickAsync();
        string id = Assert.Single(_cdp.SessionIds("/poll"));
        await _cdp.SessionSettledAsync("/poll", id, EventWait);

        var exchanges = _cdp.Session("/poll", id);
        var batches = exchanges.Where(x => x.Method == "GET" && x.Status == 200).ToList();
        Assert.NotEmpty(batches);
        Assert.All(batches, x => Assert.Equal("br", CdpTraffic.Header(x.ResponseHeaders, "Content-Encoding"))); // Chromium accepts br
        var cdp = CdpTraffic.Count(exchanges);
        var server = await SessionAsync(key);
        output.WriteLine($"longpoll {key}: CDP {cdp}; server {server.ToJsonString()}");
        Assert.Equal(cdp, new WireCount((int)Long(server, "requests"), Long(server, "bytesIn"), Long(server, "bytesOut")));
    }

    private Task<string> EchoWorkloadAsync(string transport) => _echo.EchoEachAsync(transport, Workload);

    private async Task<JsonNode> SessionAsync(string key)
    {
        using var http = new HttpClient { BaseAddress = _base };
        var stats = await http.GetFromJsonAsync<JsonNode>($"/api/stats?session={Uri.EscapeDataString(key)}");
        return Assert.Single(stats!["sessions"]!.AsArray())!;
    }

    private static long Long(JsonNode node, string name) => node[name]!.GetValue<long>();

    private static int Utf8(string text) => System.Text.Encoding.UTF8.GetByteCount(text);
}
