using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace PushCompare.E2ETests;

/// <summary>
/// Through the gateway of the local cluster (three instances, round-robin, no affinity) the page works
/// unchanged, and its live figures are still exact for the browser's own connection: the gateway meters it, so a
/// session's requests and bytes in <c>/api/stats</c> equal what Chromium reported over CDP, as
/// <see cref="WireBytesTests"/> demands of a single instance. The instances' own figures for the session are its
/// <c>upstream</c>, larger by what the gateway adds to each request.
/// </summary>
[Collection(TrafficBrowserCollection.Name)]
public sealed class GatewayWireBytesTests(BrowserFixture browser, ClusterHost cluster, ITestOutputHelper output) : IClassFixture<ClusterHost>, IAsyncLifetime
{
    private static readonly TimeSpan EventWait = TimeSpan.FromSeconds(15);
    private static readonly string[] Workload = ["Hello, world!", "héllo wörld ✓", new string('x', 200)];

    private IBrowserContext _context = null!;
    private EchoPage _echo = null!;
    private CdpTraffic _cdp = null!;

    public async Task InitializeAsync()
    {
        _context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = cluster.BaseUrl.ToString(),
            ViewportSize = new ViewportSize { Width = 1280, Height = 800 },
        });
        _echo = new EchoPage(await _context.NewPageAsync());
        _cdp = await CdpTraffic.AttachAsync(_echo.Page);
    }

    public Task DisposeAsync() => _context.CloseAsync();

    [Fact]
    public async Task A_long_polling_sessions_bytes_through_the_gateway_equal_every_request_and_response_chromium_reported()
    {
        string key = await _echo.EchoEachAsync("longpoll", Workload);
        await _echo.DisconnectAsync();
        string id = Assert.Single(_cdp.SessionIds("/poll"));
        await _cdp.SessionSettledAsync("/poll", id, EventWait);
        var exchanges = _cdp.Session("/poll", id);
        Assert.Equal(Workload, exchanges.Where(x => x.Method == "POST" && x.Url!.AbsolutePath != "/poll").Select(x => x.Body));
        var cdp = CdpTraffic.Count(exchanges);

        var session = await ExpectPageAndGatewayShowAsync("longpoll", key, cdp);
        // Round-robin with no affinity: the session's requests were served by more than one instance, and the figures
        // are still the browser's own.
        int serving = 0;
        using var http = new HttpClient();
        foreach (var instance in cluster.Instances)
        {
            var listed = (await http.GetFromJsonAsync<JsonNode>(new Uri(instance, "/api/stats")))!["sessions"]!.AsArray();
            if (listed.Any(s => s!["key"]!.GetValue<string>() == key)) serving++;
        }
        output.WriteLine($"longpoll session {key}: served by {serving} of {cluster.Instances.Count} instances");
        Assert.True(serving > 1, $"the session's {cdp.Requests} requests all went to one instance");
        Assert.Equal(cdp.Requests, Long(session["upstream"]!, "requests"));
    }

    [Fact]
    public async Task A_WebSockets_bytes_through_the_gateway_equal_the_handshake_and_frames_chromium_reported()
    {
        string key = await _echo.EchoEachAsync("websocket", Workload);
        await _echo.DisconnectAsync();
        await _cdp.WebSocketClosedAsync(key, EventWait);
        var socket = _cdp.WebSocket(key);
        Assert.Equal(Workload.Select(t => "Received: " + t).Select(Utf8), socket.Received);
        var cdp = socket.Count(closePayload: 2 + Utf8(EchoPage.DisconnectReason));

        var session = await ExpectPageAndGatewayShowAsync("websocket", key, cdp);
        // The frames pass the gateway as they are: the instance saw the same ones.
        Assert.Equal(Workload.Length + 1, Long(session, "framesIn")); // the messages and the close
        Assert.Equal(Workload.Length + 1, Long(session, "framesOut"));
    }

    // The page's live panel and the gateway's /api/stats both show Chromium's count; the instances' is the upstream.
    private async Task<JsonNode> ExpectPageAndGatewayShowAsync(string transport, string key, WireCount cdp)
    {
        await _echo.ExpectFigureAsync($"live-{transport}-requests", cdp.Requests);
        await _echo.ExpectFigureAsync($"live-{transport}-bytesIn", cdp.BytesIn);
        await _echo.ExpectFigureAsync($"live-{transport}-bytesOut", cdp.BytesOut);
        await _echo.ExpectFigureAsync($"live-{transport}-messagesOut", Workload.Length); // counted by the instances

        using var http = new HttpClient { BaseAddress = cluster.BaseUrl };
        var stats = (await http.GetFromJsonAsync<JsonNode>($"/api/stats?session={Uri.EscapeDataString(key)}"))!;
        Assert.Equal(3, stats["gateway"]!["answered"]!.GetValue<int>());
        var session = Assert.Single(stats["sessions"]!.AsArray())!;
        Assert.Equal(transport, session["transport"]!.GetValue<string>());
        Assert.False(session["open"]!.GetValue<bool>());
        var gateway = new WireCount((int)Long(session, "requests"), Long(session, "bytesIn"), Long(session, "bytesOut"));
        var upstream = session["upstream"]!;
        output.WriteLine($"{transport} session {key}: CDP {cdp}; gateway {gateway}; instances (upstream) {Long(upstream, "requests")} requests, " +
            $"{Long(upstream, "bytesIn")} bytes in, {Long(upstream, "bytesOut")} bytes out");
        Assert.Equal(cdp, gateway);
        Assert.True(Long(upstream, "bytesIn") > cdp.BytesIn, "the gateway adds forwarded headers to every request");
        return session;
    }

    private static long Long(JsonNode node, string name) => node[name]!.GetValue<long>();

    private static int Utf8(string text) => System.Text.Encoding.UTF8.GetByteCount(text);
}
