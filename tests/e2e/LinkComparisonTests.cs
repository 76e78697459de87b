using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using PushCompare.Hosting;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace PushCompare.E2ETests;

/// <summary>
/// The page over an emulated 4G link (<c>Links:4g</c>): the comparison adds a leg over the link beside the direct one,
/// names the link, and every echo round trip over it takes at least the link's round trip; a page loaded over the link
/// is metered exactly as Chromium saw it, since the emulator relays the bytes unchanged.
/// </summary>
[Collection(ComparisonBrowserCollection.Name)]
public sealed class LinkComparisonTests(BrowserFixture browser, ITestOutputHelper output) : IAsyncLifetime
{
    private const double RoundTripMs = 60; // the 4g profile's
    private static readonly string[] Transports = ["websocket", "longpoll", "shortpoll", "sse"];
    private static readonly string[] Workload = ["Hello, world!", "héllo wörld ✓", new string('x', 200)];

    private readonly int _linkPort = FreePort.Next();
    private AppHost _app = null!;
    private Uri _direct = null!, _overLink = null!;

    public Task InitializeAsync()
    {
        _app = new AppHost(("Links:4g", _linkPort.ToString(CultureInfo.InvariantCulture)));
        _direct = _app.Start();
        _overLink = new Uri($"http://127.0.0.1:{_linkPort}/");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private async Task<IPage> OpenAsync(Uri at)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = at.ToString(),
            ViewportSize = new ViewportSize { Width = 1280, Height = 800 },
        });
        return await context.NewPageAsync();
    }

    [Fact]
    public async Task The_comparison_runs_over_the_4g_link_beside_the_direct_leg_and_every_echo_takes_at_least_its_round_trip()
    {
        var page = await OpenAsync(_direct);
        await page.GotoAsync("/?transport=websocket");
        await Expect(page.GetByTestId("status")).ToHaveAttributeAsync("data-state", "open");
        await page.GetByTestId("compare-echoes").FillAsync("3");
        await page.GetByTestId("compare-push-seconds").FillAsync("1");
        await page.GetByTestId("compare-push-interval").FillAsync("500");
        await page.GetByTestId("poll-interval").FillAsync("200");
        await page.GetByTestId("poll-interval").DispatchEventAsync("change");

        await page.GetByTestId("run-comparison").ClickAsync();
        var status = page.GetByTestId("comparison-status");
        await Expect(status).ToHaveAttributeAsync("data-state", "done", new() { Timeout = 180_000 });
        await Expect(status).ToContainTextAsync("HTTP/1.1, plain over 4g");

        await Expect(page.GetByTestId("compare-protocol-h1-4g")).ToHaveTextAsync("HTTP/1.1, plain over 4g");
        await Expect(page.GetByTestId("compare-set-h1-4g")).ToContainTextAsync($"http://127.0.0.1:{_linkPort}");
        await Expect(page.GetByTestId("compare-link-h1-4g")).ToContainTextAsync("Over the emulated 4g link (60 ms round trip");
        await Expect(page.GetByTestId("compare-link-h1")).ToHaveCountAsync(0); // the direct leg is on no link
        foreach (var transport in Transports)
        {
            double fastest = await Figure(page, $"compare-h1-4g-{transport}-fastestEcho");
            double first = await Figure(page, $"compare-h1-4g-{transport}-firstMessage");
            output.WriteLine($"{transport} over 4g: fastest echo {fastest} ms, first message {first} ms, direct fastest echo " +
                $"{await Figure(page, $"compare-h1-{transport}-fastestEcho")} ms");
            Assert.True(fastest >= RoundTripMs, $"an echo over {transport} took {fastest} ms over a {RoundTripMs} ms link");
            // From nothing: at least the TCP handshake and the first echo's own round trip.
            Assert.True(first >= 2 * RoundTripMs, $"the first message over {transport} came {first} ms after starting");
            Assert.True(await Figure(page, $"compare-h1-4g-{transport}-bytesPerMessage") > 0);
        }
        await page.Context.CloseAsync();
    }

    [Theory]
    [InlineData("websocket")]
    [InlineData("longpoll")]
    public async Task A_page_loaded_over_the_link_is_metered_to_the_byte_as_chromium_saw_it(string transport)
    {
        var page = await OpenAsync(_overLink);
        var cdp = await CdpTraffic.AttachAsync(page);
        var echo = new EchoPage(page);

        string key = await echo.EchoEachAsync(transport, Workload);
        await echo.DisconnectAsync();

        WireCount seen;
        if (transport == "websocket")
        {
            await cdp.WebSocketClosedAsync(key, TimeSpan.FromSeconds(15));
            seen = cdp.WebSocket(key).Count(closePayload: 2 + System.Text.Encoding.UTF8.GetByteCount(EchoPage.DisconnectReason));
        }
        else
        {
            string id = Assert.Single(cdp.SessionIds("/poll"));
            await cdp.SessionSettledAsync("/poll", id, TimeSpan.FromSeconds(15));
            seen = CdpTraffic.Count(cdp.Session("/poll", id));
        }

        using var http = new HttpClient { BaseAddress = _direct };
        var stats = await http.GetFromJsonAsync<JsonNode>($"/api/stats?session={Uri.EscapeDataString(key)}");
        var session = Assert.Single(stats!["sessions"]!.AsArray())!;
        var server = new WireCount((int)session["requests"]!.GetValue<long>(), session["bytesIn"]!.GetValue<long>(), session["bytesOut"]!.GetValue<long>());
        output.WriteLine($"{transport} over 4g, session {key}: CDP {seen}, server {server}");
        Assert.Equal(seen, server);
        await page.Context.CloseAsync();
    }

    private static async Task<double> Figure(IPage page, string testId)
    {
        string? value = await page.GetByTestId(testId).GetAttributeAsync("data-value");
        Assert.False(string.IsNullOrEmpty(value), $"{testId} has no value");
        return double.Parse(value, CultureInfo.InvariantCulture);
    }
}
