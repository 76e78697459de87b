using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace PushCompare.E2ETests;

/// <summary>
/// Auto in real Chromium: it takes WebSocket when nothing is in the way (and then makes no other request), and falls
/// back on evidence when a test double in front of the app refuses, stalls or resets the upgrade, or holds an SSE
/// stream back; the page's log says why in plain words. Each test gets its own proxy and browser context (so its own
/// sessionStorage); the app and Chromium are the collection's.
/// </summary>
[Collection(ComparisonBrowserCollection.Name)]
public sealed partial class AutoTests(BrowserFixture browser) : IAsyncLifetime
{
    private FaultProxy _proxy = null!;
    private IBrowserContext? _context;

    public Task InitializeAsync()
    {
        _proxy = new FaultProxy(browser.BaseUrl);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (_context is not null) await _context.CloseAsync();
        await _proxy.DisposeAsync();
    }

    private async Task<EchoPage> OpenAsync(Uri origin)
    {
        _context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = origin.ToString() });
        return new EchoPage(await _context.NewPageAsync());
    }

    [Fact]
    public async Task Auto_takes_WebSocket_when_nothing_blocks_it_and_makes_no_request_beyond_its_one_GET()
    {
        var echo = await OpenAsync(browser.BaseUrl);
        var network = await NetworkLog.RecordAsync(echo.Page);
        await echo.OpenAsync("auto");
        await Expect(echo.EventsWith("WebSocket is first in the order; using WebSocket", via: "Auto")).ToHaveCountAsync(1);
        await Expect(echo.Page.GetByTestId("carrier")).ToHaveTextAsync("via WebSocket");
        for (int i = 1; i <= 5; i++)
        {
            await echo.SendAsync($"auto {i}");
            await Expect(echo.ReceivedExactly($"Received: auto {i}")).ToHaveCountAsync(1);
        }

        // Devtools stays quiet: the one upgrade, no probe, no POST, no poll.
        var transportRows = network.Since(0).Where(r => r.Type is "WebSocket" or "Fetch" or "XHR" or "EventSource").ToList();
        var only = Assert.Single(transportRows);
        Assert.Equal("GET /ws?session", only.Shape);
        Assert.Equal(101, only.Status);

        // The live panel shows the session's bytes by transport: all of it on WebSocket.
        await echo.Page.GetByTestId("live-refresh").ClickAsync();
        await Expect(echo.Page.GetByTestId("live-auto-parts")).ToHaveAttributeAsync("data-value", WebSocketOnly());
    }

    [Theory]
    [InlineData(UpgradeFault.Refuse, "WebSocket was refused or reset before it opened (code 1006)")]
    [InlineData(UpgradeFault.Reset, "WebSocket was refused or reset before it opened (code 1006)")]
    [InlineData(UpgradeFault.Stall, "WebSocket opened but carried nothing within 2.5 s — a proxy may be holding it")]
    public async Task A_refused_stalled_or_reset_WebSocket_falls_back_to_SSE_which_echoes(UpgradeFault fault, string why)
    {
        _proxy.Upgrades = fault;
        var echo = await OpenAsync(_proxy.BaseUrl);
        await echo.OpenAsync("auto");

        await Expect(echo.EventsWith($"{why}; using Server-Sent Events", via: "Auto")).ToHaveCountAsync(1);
        await Expect(echo.Page.GetByTestId("carrier")).ToHaveTextAsync("via Server-Sent Events");
        await echo.SendAsync("over the fallback");
        await Expect(echo.ReceivedExactly("Received: over the fallback")).ToHaveCountAsync(1);
        Assert.Equal(1, _proxy.UpgradesSeen);
    }

    [Fact]
    public async Task A_stream_held_back_by_a_buffering_proxy_falls_back_to_long_polling()
    {
        _proxy.Upgrades = UpgradeFault.Refuse;
        _proxy.HoldStreams = true;
        var echo = await OpenAsync(_proxy.BaseUrl);
        await echo.OpenAsync("auto");

        var entry = echo.Events.Filter(new LocatorFilterOptions { HasTextRegex = HeldStream() });
        await Expect(entry).ToHaveCountAsync(1);
        await Expect(echo.Page.GetByTestId("carrier")).ToHaveTextAsync("via Long polling");
        await echo.SendAsync("polled");
        await Expect(echo.ReceivedExactly("Received: polled")).ToHaveCountAsync(1);
    }

    [Fact]
    public async Task A_reload_starts_with_the_transport_that_worked_and_does_not_try_the_blocked_one_again()
    {
        _proxy.Upgrades = UpgradeFault.Refuse;
        var echo = await OpenAsync(_proxy.BaseUrl);
        await echo.OpenAsync("auto");
        await Expect(echo.Page.GetByTestId("carrier")).ToHaveTextAsync("via Server-Sent Events");
        int upgrades = _proxy.UpgradesSeen;

        await echo.Page.ReloadAsync();
        await echo.ExpectOpenAsync();
        await Expect(echo.EventsWith("Server-Sent Events worked last on this origin (remembered for the tab); using Server-Sent Events", via: "Auto")).ToHaveCountAsync(1);
        await echo.SendAsync("after the reload");
        await Expect(echo.ReceivedExactly("Received: after the reload")).ToHaveCountAsync(1);
        Assert.Equal(upgrades, _proxy.UpgradesSeen);
    }

    [Fact]
    public async Task A_session_that_is_gone_opens_a_new_one_and_says_so()
    {
        _proxy.Upgrades = UpgradeFault.Refuse;
        var echo = await OpenAsync(_proxy.BaseUrl);
        var network = await NetworkLog.RecordAsync(echo.Page);
        await echo.OpenAsync("auto");
        await Expect(echo.Page.GetByTestId("carrier")).ToHaveTextAsync("via Server-Sent Events");
        var stream = network.Since(0).First(r => r.Type == "EventSource");

        using (var http = new HttpClient())
        {
            using var deleted = await http.DeleteAsync(new Uri(browser.BaseUrl, stream.Url.AbsolutePath));
            Assert.Equal(System.Net.HttpStatusCode.NoContent, deleted.StatusCode);
        }

        await Expect(echo.Events.Filter(new LocatorFilterOptions { HasTextRegex = NewSession() })).ToHaveCountAsync(1);
        await echo.SendAsync("in the new session");
        await Expect(echo.ReceivedExactly("Received: in the new session")).ToHaveCountAsync(1);
    }

    /// <summary>
    /// One session, pushed 1,000+ ticks and sent 300 messages while its transport is killed and replaced three
    /// times — WebSocket (killed, then refused) → SSE (killed, then held back) → long polling → WebSocket again by the
    /// upgrade probe: every tick and every echo arrives once, in order.
    /// </summary>
    [Fact]
    public async Task A_thousand_pushed_messages_survive_three_transport_changes_with_nothing_lost_or_repeated_both_ways()
    {
        var page = (await OpenAsync(_proxy.BaseUrl)).Page;
        await page.GotoAsync("/healthz"); // a document of the app's origin that opens no connection of its own
        var run = await TransportRun.StartAsync(page, ups: 300);

        await run.UntilAsync("websocket", ticks: 100);
        _proxy.Upgrades = UpgradeFault.Refuse;
        Assert.Equal(1, _proxy.Kill(Carried.WebSocket));

        await run.UntilAsync("sse", ticks: 350);
        _proxy.HoldStreams = true;
        Assert.True(_proxy.Kill(Carried.Stream) >= 1);

        await run.UntilAsync("longpoll", ticks: 600);
        _proxy.Upgrades = UpgradeFault.None;
        _proxy.HoldStreams = false;
        await run.ProbeAsync();

        await run.UntilAsync("websocket", ticks: 1000);
        await run.CheckAsync(["initial", "resume", "resume", "upgrade"], ["websocket", "sse", "longpoll", "websocket"]);
    }

    [GeneratedRegex(@"^websocket=\d+$")]
    private static partial Regex WebSocketOnly();

    [GeneratedRegex(@"WebSocket was refused or reset before it opened \(code 1006\); Server-Sent Events delivered nothing within \d+\.\d s — a proxy may be buffering the stream; using Long polling")]
    private static partial Regex HeldStream();

    [GeneratedRegex(@"answered 410: .*; opening a new session; using Server-Sent Events")]
    private static partial Regex NewSession();
}
