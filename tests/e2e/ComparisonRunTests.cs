using System.Globalization;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace PushCompare.E2ETests;

/// <summary>The comparison run on the page: the same workload over every transport, and polling paying more per message.</summary>
[Collection(ComparisonBrowserCollection.Name)]
public sealed class ComparisonRunTests(BrowserFixture browser) : IAsyncLifetime
{
    private const int Echoes = 3, PushSeconds = 2;
    private static readonly string[] Transports = ["websocket", "longpoll", "shortpoll", "sse"];
    private static readonly string[] Metrics = ["requests", "bytesUp", "bytesDown", "bytesPerMessage", "latencyP50", "latencyP99"];

    private EchoPage _echo = null!;

    // Phone width: the run's table and charts must fit it; the desktop screenshot is taken after widening.
    public async Task InitializeAsync() => _echo = new EchoPage(await browser.NewPageAsync(390, 844));

    public Task DisposeAsync() => _echo.Page.Context.CloseAsync();

    [Fact]
    public async Task The_run_completes_on_every_transport_and_polling_costs_more_bytes_per_message_than_websocket()
    {
        var page = _echo.Page;
        await _echo.OpenAsync("websocket");
        await page.GetByTestId("compare-echoes").FillAsync(Echoes.ToString(CultureInfo.InvariantCulture));
        await page.GetByTestId("compare-push-seconds").FillAsync(PushSeconds.ToString(CultureInfo.InvariantCulture));
        await page.GetByTestId("compare-push-interval").FillAsync("1000");

        // The page's own connection: its server figures are not read until someone asks, and the run asks.
        await Expect(page.GetByTestId("live-websocket-requests")).ToHaveAttributeAsync("data-value", "");

        await page.GetByTestId("run-comparison").ClickAsync();

        var status = page.GetByTestId("comparison-status");
        await Expect(status).ToHaveAttributeAsync("data-state", "running");
        await Expect(page.GetByTestId("run-comparison")).ToBeDisabledAsync();
        // Four transports, each N echoes then K seconds of push; short polling waits up to a poll interval per message.
        await Expect(status).ToHaveAttributeAsync("data-state", "done", new() { Timeout = 120_000 });
        await Expect(page.GetByTestId("run-comparison")).ToBeEnabledAsync();
        await Expect(page.GetByTestId("live-websocket-requests")).ToHaveAttributeAsync("data-value", "1");

        foreach (var transport in Transports)
        {
            Assert.True(await Figure($"compare-h1-{transport}-messages") >= Echoes + PushSeconds, $"{transport} delivered too few messages");
            foreach (var metric in Metrics)
            {
                double value = await Figure($"compare-h1-{transport}-{metric}");
                Assert.True(metric.StartsWith("latency", StringComparison.Ordinal) ? value >= 0 : value > 0, $"{transport} {metric} = {value}");
            }
        }
        double ws = await Figure("compare-h1-websocket-bytesPerMessage");
        foreach (var polling in new[] { "longpoll", "shortpoll" })
        {
            double perMessage = await Figure($"compare-h1-{polling}-bytesPerMessage");
            Assert.True(perMessage > ws, $"{polling} moved {perMessage} bytes per message, WebSocket {ws}");
            Assert.True(await Figure($"compare-ratio-h1-{polling}-bytesPerMessage") > 1);
            Assert.True(await Figure($"compare-h1-{polling}-requests") > await Figure("compare-h1-websocket-requests"));
        }
        // Server-Sent Events pays a POST per echo, as polling does, but its pushes need no request: fewer than long polling.
        Assert.True(await Figure("compare-h1-sse-bytesPerMessage") > ws, "SSE moved fewer bytes per message than WebSocket");
        Assert.True(await Figure("compare-h1-sse-requests") < await Figure("compare-h1-longpoll-requests"), "SSE made as many requests as long polling");
        await Expect(page.GetByTestId("comparison-summary")).ToContainTextAsync("Over HTTP/1.1, plain, per delivered message");

        // One chart per metric, one labelled bar per transport, carrying the same figure as the table.
        foreach (var metric in Metrics)
        {
            foreach (var transport in Transports)
            {
                var bar = page.GetByTestId($"chart-{metric}-h1-{transport}");
                await Expect(bar).ToHaveCountAsync(1);
                Assert.Equal(await page.GetByTestId($"compare-h1-{transport}-{metric}").GetAttributeAsync("data-value"), await bar.GetAttributeAsync("data-value"));
            }
        }

        Assert.True(await page.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways at 390 px");
        foreach (var chart in await page.GetByTestId("comparison-chart").Locator("svg").AllAsync())
        {
            var box = await chart.BoundingBoxAsync();
            Assert.NotNull(box);
            Assert.InRange(box.X + box.Width, 0, 390);
        }
        await Screenshots.SaveAsync(page, "comparison-390x844");
        await page.SetViewportSizeAsync(1280, 800);
        await Screenshots.SaveAsync(page, "comparison-1280x800");
    }

    private async Task<double> Figure(string testId)
    {
        string? value = await _echo.Page.GetByTestId(testId).GetAttributeAsync("data-value");
        Assert.False(string.IsNullOrEmpty(value), $"{testId} has no value");
        return double.Parse(value, CultureInfo.InvariantCulture);
    }
}
