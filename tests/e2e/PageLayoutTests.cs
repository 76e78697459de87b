using System.Globalization;
using System.Reflection;
using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace PushCompare.E2ETests;

/// <summary>
/// The page as a person meets it at 1280×800 and 390×844, over plain HTTP and over HTTPS (HTTP/2): after an echo on
/// every transport and after a comparison over both protocols, axe-core (injected from tests/e2e/node_modules) finds
/// no accessibility violation, and no table hides a transport — at 1280 every cell lies inside its panel, at 390 every
/// transport's figures can be scrolled into view inside a scroll box the keyboard can reach and the page says scrolls.
/// Screenshots of both states land in TestResults/screenshots (docs/ keeps copies of these).
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class PageLayoutTests(BrowserFixture browser) : IAsyncLifetime
{
    private static readonly string[] Transports = ["websocket", "longpoll", "shortpoll", "sse", "auto"];
    private static readonly string AxeScript = typeof(PageLayoutTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "PushCompare.AxeScript").Value!;

    private readonly HttpsAppHost _app = new(alsoPlain: true);
    private IBrowserContext? _context;

    public Task InitializeAsync()
    {
        _app.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (_context is not null) await _context.CloseAsync();
        await _app.DisposeAsync();
    }

    // Both sizes are checked on one page, resized (the layout is the viewport's: CSS media queries and the scroll boxes'
    // ResizeObservers follow it), so the echo on every transport and the comparison run once per scheme, not per size.
    private static readonly (int Width, int Height)[] Sizes = [(1280, 800), (390, 844)];

    [Theory]
    [InlineData("http")]
    [InlineData("https")]
    public async Task Every_transport_is_visible_and_axe_finds_nothing_after_an_echo_and_after_a_comparison_at_both_sizes(string scheme)
    {
        _context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = _app.Address(scheme).ToString(),
            IgnoreHTTPSErrors = true, // the app's own self-signed certificate, as if accepted once
            ViewportSize = new ViewportSize { Width = Sizes[0].Width, Height = Sizes[0].Height },
        });
        var echo = new EchoPage(await _context.NewPageAsync());
        var page = echo.Page;

        await echo.OpenAsync("websocket");
        foreach (var transport in Transports)
        {
            if (transport != "websocket")
            {
                await echo.Transport(transport).CheckAsync();
                await echo.ExpectOpenAsync();
            }
            await echo.SendAsync($"Hello over {transport}");
            await Expect(echo.ReceivedExactly($"Received: Hello over {transport}")).ToHaveCountAsync(1);
        }
        await page.GetByTestId("live-refresh").ClickAsync();
        await Expect(page.GetByTestId("live-sse-requests")).Not.ToHaveAttributeAsync("data-value", "");
        foreach (var (width, height) in Sizes)
        {
            string name = $"{scheme}-{width}x{height}";
            await page.SetViewportSizeAsync(width, height);
            await ExpectNoAxeViolationsAsync(page, $"{name} after an echo");
            await ExpectEveryTransportVisibleAsync(page, width, page.GetByTestId("live-table"), Transports.Length);
            await Screenshots.SaveAsync(page, $"live-{name}");
        }

        // Auto runs as a column of its own when asked (over plain HTTP only: each run costs seconds on a shared machine).
        if (scheme == "http") await page.GetByTestId("compare-include-auto").CheckAsync();
        await page.GetByTestId("compare-echoes").FillAsync("2");
        await page.GetByTestId("compare-push-seconds").FillAsync("1");
        await page.GetByTestId("run-comparison").ClickAsync();
        var status = page.GetByTestId("comparison-status");
        await Expect(status).ToHaveAttributeAsync("data-state", "running");
        await Expect(status).Not.ToHaveAttributeAsync("data-state", "running", new() { Timeout = 180_000 });
        await Expect(status).ToHaveAttributeAsync("data-state", "done"); // on loopback an https page may call http too
        foreach (var (width, height) in Sizes)
        {
            string name = $"{scheme}-{width}x{height}";
            await page.SetViewportSizeAsync(width, height);
            await ExpectNoAxeViolationsAsync(page, $"{name} after a comparison");
            foreach (var table in await page.GetByTestId("comparison-table").Locator("table").AllAsync())
            {
                await ExpectEveryTransportVisibleAsync(page, width, table, scheme == "http" ? Transports.Length : Transports.Length - 1);
            }
            Assert.True(await page.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"), $"the page scrolls sideways at {width} px");
            await Screenshots.SaveAsync(page, $"comparison-{name}");
        }
    }

    private static async Task ExpectNoAxeViolationsAsync(IPage page, string when)
    {
        if (!await page.EvaluateAsync<bool>("() => typeof axe !== 'undefined'")) await page.AddScriptTagAsync(new PageAddScriptTagOptions { Path = AxeScript });
        var violations = await page.EvaluateAsync<JsonElement>("""
            async () => (await axe.run(document, { resultTypes: ['violations'] })).violations
              .map(v => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map(n => n.target.join(' ')).join(', ')}`)
            """);
        Assert.True(violations.GetArrayLength() == 0, $"axe, {when}:\n{string.Join("\n", violations.EnumerateArray())}");
    }

    // At 1280 every cell lies inside its panel. Narrower, a table may scroll inside its own box: then every transport's
    // cells must come into view inside that box when scrolled to, and the box must say it scrolls and take focus.
    private static async Task ExpectEveryTransportVisibleAsync(IPage page, int width, ILocator table, int columns)
    {
        var scroller = table.Locator("xpath=ancestor::*[contains(concat(' ', @class, ' '), ' table-scroll ')][1]");
        var panel = table.Locator("xpath=ancestor::section[contains(concat(' ', @class, ' '), ' panel ')][1]");
        var panelBox = (await panel.BoundingBoxAsync())!;
        var headers = await table.Locator("thead th").AllAsync();
        Assert.Equal(columns + 1, headers.Count);
        bool scrolls = await scroller.EvaluateAsync<bool>("box => box.scrollWidth > box.clientWidth + 1");
        if (width >= 1280) Assert.False(scrolls, $"a table scrolls sideways at {width} px");
        if (scrolls)
        {
            Assert.Equal("0", await scroller.GetAttributeAsync("tabindex"));
            await Expect(scroller).ToHaveAttributeAsync("data-overflow", "true");
            await Expect(scroller.Locator("xpath=following-sibling::*[contains(concat(' ', @class, ' '), ' scroll-hint ')]")).ToBeVisibleAsync();
        }
        foreach (var header in headers)
        {
            await header.ScrollIntoViewIfNeededAsync();
            var box = (await header.BoundingBoxAsync())!;
            var visible = (await scroller.BoundingBoxAsync())!;
            string where = $"{await header.InnerTextAsync()} at x {box.X.ToString(CultureInfo.InvariantCulture)}..{(box.X + box.Width).ToString(CultureInfo.InvariantCulture)}";
            Assert.True(box.X >= panelBox.X - 0.5 && box.X + box.Width <= panelBox.X + panelBox.Width + 0.5, $"{where} lies outside its panel");
            Assert.True(box.X >= visible.X - 0.5 && box.X + box.Width <= visible.X + visible.Width + 0.5, $"{where} cannot be scrolled into view");
        }
        await scroller.EvaluateAsync("box => box.scrollLeft = 0"); // back where a person starts, for the screenshot
        if (!scrolls)
        {
            double right = await table.EvaluateAsync<double>("t => Math.max(...[...t.querySelectorAll('th, td')].map(c => c.getBoundingClientRect().right))");
            Assert.True(right <= panelBox.X + panelBox.Width + 0.5, $"a cell ends at {right}, beyond its panel's right edge {panelBox.X + panelBox.Width}");
        }
    }
}
