using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace PushCompare.E2ETests;

/// <summary>
/// From the plain-HTTP page the comparison runs over HTTP/1.1 on its own origin and over HTTP/2 +
/// TLS on the app's other origin, and shows both, labelled; every figure's heading names its protocol; the only
/// cross-origin requests go to the app's other own origin. Without the certificate accepted, the HTTPS column is a
/// sentence with a link. From the https page on loopback, the plain leg runs too.
/// </summary>
[Collection(ComparisonBrowserCollection.Name)]
public sealed class TwoProtocolComparisonTests(BrowserFixture browser) : IAsyncLifetime
{
    private const string Unmetered = "not metered on this protocol yet";
    private static readonly string[] Transports = ["websocket", "longpoll", "shortpoll", "sse"];
    private static readonly string[] ServerMetrics = ["requests", "bytesUp", "bytesDown", "bytesPerMessage"];
    private static readonly string[] Metrics = [.. ServerMetrics, "latencyP50", "latencyP99"];

    private readonly HttpsAppHost _app = new(alsoPlain: true);
    private Uri _plain = null!, _tls = null!;

    public Task InitializeAsync()
    {
        _tls = _app.Start();
        _plain = _app.Address("http");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private async Task<IPage> OpenAsync(bool acceptCertificate, bool onHttps = false)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = (onHttps ? _tls : _plain).ToString(),
            IgnoreHTTPSErrors = acceptCertificate, // as if the person had accepted the self-signed certificate once
            ViewportSize = new ViewportSize { Width = 390, Height = 844 },
        });
        var page = await context.NewPageAsync();
        await page.GotoAsync("/?transport=websocket");
        await Expect(page.GetByTestId("status")).ToHaveAttributeAsync("data-state", "open");
        // A small workload: each transport twice (echo, push) on each protocol.
        await page.GetByTestId("compare-echoes").FillAsync("2");
        await page.GetByTestId("compare-push-seconds").FillAsync("1");
        await page.GetByTestId("compare-push-interval").FillAsync("500");
        await page.GetByTestId("poll-interval").FillAsync("200");
        await page.GetByTestId("poll-interval").DispatchEventAsync("change");
        return page;
    }

    [Fact]
    public async Task From_the_http_page_the_run_measures_HTTP1_and_HTTP2_side_by_side_calling_only_the_apps_other_origin()
    {
        var page = await OpenAsync(acceptCertificate: true);
        var requested = new ConcurrentQueue<string>();
        var allowOrigin = new ConcurrentQueue<string>();
        page.Request += (_, r) => requested.Enqueue(r.Url);
        page.WebSocket += (_, ws) => requested.Enqueue(ws.Url);
        page.Response += (_, r) =>
        {
            if (r.Headers.TryGetValue("access-control-allow-origin", out var value)) allowOrigin.Enqueue(value);
        };

        await page.GetByTestId("run-comparison").ClickAsync();
        var status = page.GetByTestId("comparison-status");
        await Expect(status).ToHaveAttributeAsync("data-state", "done", new() { Timeout = 120_000 });
        await Expect(status).ToContainTextAsync("on HTTP/1.1, plain and HTTP/2 + TLS");

        // Both sets, labelled by what each really rode: the page's navigation, and the server's view of the other origin.
        await Expect(page.GetByTestId("compare-protocol-h1")).ToHaveTextAsync("HTTP/1.1, plain");
        await Expect(page.GetByTestId("compare-protocol-h2")).ToHaveTextAsync("HTTP/2 + TLS");
        await Expect(page.GetByTestId("compare-set-h1")).ToContainTextAsync(Origin(_plain));
        await Expect(page.GetByTestId("compare-set-h2")).ToContainTextAsync(Origin(_tls));
        await Expect(page.GetByTestId("compare-problem")).ToHaveCountAsync(0);
        foreach (var transport in Transports)
        {
            foreach (var set in new[] { "h1", "h2" })
            {
                Assert.True(await Figure(page, $"compare-{set}-{transport}-messages") >= 4, $"{set} {transport} delivered too few"); // 2 echoes + 1 s of ticks every 500 ms
                foreach (var metric in Metrics)
                {
                    var cell = page.GetByTestId($"compare-{set}-{transport}-{metric}");
                    if (set == "h2" && ServerMetrics.Contains(metric) && await cell.CountAsync() == 0)
                    {
                        // Until the server meters HTTP/2 per session it says so, in one row, never as 0.
                        await Expect(page.GetByTestId("compare-h2-unmetered")).ToHaveTextAsync(Unmetered);
                        await Expect(page.GetByTestId($"chart-{metric}-h2-{transport}")).ToContainTextAsync(Unmetered);
                        continue;
                    }
                    string? value = await cell.GetAttributeAsync("data-value");
                    Assert.False(string.IsNullOrEmpty(value), $"{set} {transport} {metric} has no value");
                    double number = double.Parse(value, CultureInfo.InvariantCulture);
                    Assert.True(metric.StartsWith("latency", StringComparison.Ordinal) ? number >= 0 : number > 0, $"{set} {transport} {metric} = {number}");
                }
            }
        }

        // The protocol in every figure's heading: the connection bar, the live figures, each table, each chart.
        await Expect(page.GetByTestId("protocol")).ToHaveTextAsync("HTTP/1.1, plain");
        await Expect(page.GetByTestId("live-protocol")).ToHaveTextAsync("HTTP/1.1, plain");
        await Expect(page.GetByTestId("live-figures").Locator("thead th.figure-name")).ToContainTextAsync("HTTP/1.1, plain");
        await Expect(page.GetByTestId("compare-set-h1").Locator("thead th.figure-name")).ToContainTextAsync("h1");
        await Expect(page.GetByTestId("compare-set-h2").Locator("thead th.figure-name")).ToContainTextAsync("h2");
        foreach (var metric in Metrics)
        {
            await Expect(page.GetByTestId($"chart-{metric}").Locator("figcaption")).ToContainTextAsync("HTTP/1.1, plain vs HTTP/2 + TLS");
            foreach (var transport in Transports)
            {
                await Expect(page.GetByTestId($"chart-{metric}-h1-{transport}")).ToContainTextAsync("· h1");
                await Expect(page.GetByTestId($"chart-{metric}-h2-{transport}")).ToContainTextAsync("· h2");
            }
        }

        // The HTTPS leg rode HTTP/2 for every request the server saw: polls, streams, and the WebSocket.
        // The WebSocket as an RFC 8441 CONNECT stream (the run warms up the credentialed connection it needs).
        var overTls = _app.Requests.Where(r => r.Scheme == "https").ToArray();
        Assert.All(overTls, r => Assert.Equal("HTTP/2", r.Protocol));
        Assert.Equal(2, overTls.Count(r => r is { Method: "CONNECT", Path: "/ws" })); // the echo and the push connection
        Assert.Contains(overTls, r => r.Path.StartsWith("/poll/", StringComparison.Ordinal));
        Assert.Contains(overTls, r => r.Path.StartsWith("/sse/", StringComparison.Ordinal));

        // Cross-origin: only to the app's other own origin, and every CORS answer named the page's origin, never *.
        var elsewhere = requested.Select(u => new Uri(u)).Where(u => OriginOf(u) != Origin(_plain)).Select(OriginOf).Distinct().ToArray();
        Assert.Equal([Origin(_tls)], elsewhere);
        Assert.NotEmpty(allowOrigin);
        Assert.All(allowOrigin, value => Assert.Equal(Origin(_plain), value));

        Assert.True(await page.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways at 390 px");
        await Screenshots.SaveAsync(page, "two-protocols-390x844");
        await page.SetViewportSizeAsync(1280, 800);
        await Screenshots.SaveAsync(page, "two-protocols-1280x800");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Without_the_certificate_accepted_the_https_column_is_a_sentence_with_a_link_and_the_http_one_is_measured()
    {
        var page = await OpenAsync(acceptCertificate: false);
        await page.GetByTestId("compare-push-seconds").FillAsync("1");

        await page.GetByTestId("run-comparison").ClickAsync();
        // Not "done" in green: the status names the leg that was not measured, and why.
        await Expect(page.GetByTestId("comparison-status")).ToHaveAttributeAsync("data-state", "partial", new() { Timeout = 120_000 });
        await Expect(page.GetByTestId("comparison-status")).ToContainTextAsync("HTTPS was not measured: the browser has not accepted the certificate");

        var problem = page.GetByTestId("compare-problem");
        await Expect(problem).ToHaveAttributeAsync("data-kind", "certificate");
        await Expect(problem).ToContainTextAsync("certificate has not been accepted");
        await Expect(problem.Locator("a")).ToHaveAttributeAsync("href", _tls.ToString());
        Assert.True(await Figure(page, "compare-h1-websocket-bytesPerMessage") > 0);
        await Expect(page.GetByTestId("compare-h2-websocket-messages")).ToHaveCountAsync(0); // no figures pretend to be HTTPS's
        await page.Context.CloseAsync();
    }

    // Mixed content blocks plain-HTTP calls from an https page, except to a potentially trustworthy origin:
    // http://127.0.0.1 and http://localhost are, so on loopback Chromium runs both legs from either page.
    [Fact]
    public async Task From_the_https_page_on_loopback_the_plain_leg_runs_too()
    {
        var page = await OpenAsync(acceptCertificate: true, onHttps: true);

        await page.GetByTestId("run-comparison").ClickAsync();
        await Expect(page.GetByTestId("comparison-status")).ToHaveAttributeAsync("data-state", "done", new() { Timeout = 120_000 });

        await Expect(page.GetByTestId("compare-protocol-h2")).ToHaveTextAsync("HTTP/2 + TLS");
        await Expect(page.GetByTestId("compare-problem")).ToHaveCountAsync(0);
        await Expect(page.GetByTestId("compare-protocol-h1")).ToHaveTextAsync("HTTP/1.1, plain");
        Assert.True(await Figure(page, "compare-h1-longpoll-bytesPerMessage") > 0);
        await page.Context.CloseAsync();
    }

    private static string Origin(Uri uri) => OriginOf(uri);

    private static string OriginOf(Uri uri) => uri.GetLeftPart(UriPartial.Authority).Replace("ws://", "http://", StringComparison.Ordinal)
        .Replace("wss://", "https://", StringComparison.Ordinal);

    private static async Task<double> Figure(IPage page, string testId)
    {
        string? value = await page.GetByTestId(testId).GetAttributeAsync("data-value");
        Assert.False(string.IsNullOrEmpty(value), $"{testId} has no value");
        return double.Parse(value, CultureInfo.InvariantCulture);
    }
}
