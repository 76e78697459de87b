using Microsoft.Playwright;

namespace PushCompare.E2ETests;

/// <summary>One app server and one Chromium for the whole collection; each test gets its own context and page.</summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    // Works as root, and keeps Chromium from calling out: every host name but loopback fails to resolve.
    private static readonly string[] LaunchArgs =
    [
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1, EXCLUDE localhost",
    ];

    private readonly AppHost _app = new();
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public Uri BaseUrl { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        BaseUrl = _app.Start();
        // Auto-waiting assertions, not sleeps; the generous limit absorbs a busy 2-core machine.
        Assertions.SetDefaultExpectTimeout(15_000);
        _playwright = await Playwright.CreateAsync();
        _browser = await LaunchAsync(_playwright);
    }

    /// <summary>
    /// A Chromium launched as every test's is (root-safe, calling nowhere), with <paramref name="extraArgs"/> of its own
    /// (e.g. a forward proxy: <c>--proxy-server</c>, which holds for the whole browser).
    /// </summary>
    public static Task<IBrowser> LaunchAsync(IPlaywright playwright, params string[] extraArgs) =>
        playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath(),
            Args = [.. LaunchArgs, .. extraArgs],
            Headless = true,
        });

    /// <summary>A fresh context (own cookies, cache and traffic) with one page of the given size.</summary>
    public async Task<IPage> NewPageAsync(int width = 1280, int height = 800)
    {
        var context = await NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = BaseUrl.ToString(),
            ViewportSize = new ViewportSize { Width = width, Height = height },
        });
        return await context.NewPageAsync();
    }

    /// <summary>A fresh context of the shared browser with options of the test's own (another origin, TLS errors ignored).</summary>
    public async Task<IBrowserContext> NewContextAsync(BrowserNewContextOptions options) => ForBusyMachine(await _browser!.NewContextAsync(options));

    /// <summary>
    /// A page load may wait on a machine the whole suite shares (load 60 on two cores: a page's dozen modules once took
    /// over Playwright's 30 s default while clusters started beside it): navigations get 60 s. A hang guard, not a figure.
    /// </summary>
    public static IBrowserContext ForBusyMachine(IBrowserContext context)
    {
        context.SetDefaultNavigationTimeout(60_000);
        return context;
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
        await _app.DisposeAsync();
    }

    // PUSHCOMPARE_CHROMIUM, else Debian's chromium, else null: Playwright's own browser where a developer installed it.
    private static string? ChromiumPath()
    {
        var configured = Environment.GetEnvironmentVariable("PUSHCOMPARE_CHROMIUM");
        if (!string.IsNullOrEmpty(configured)) return configured;
        return File.Exists("/usr/bin/chromium") ? "/usr/bin/chromium" : null;
    }
}

// Three collections, each with its own app and Chromium (and the proxies' collection beside them, ProxyFixture.cs), run
// two at a time (xunit.runner.json): the tests mostly wait on sockets and the browser, and one collection ran them one
// after another for 13 minutes. Tests within a collection still run one at a
// time, so a test that counts traffic shares its app with no other test running at that moment.

/// <summary>The page itself: echo, layout, the socket contract and the registry.</summary>
[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "browser";
}

/// <summary>Wire bytes against Chromium's own counts, HTTPS and HTTP/2, compression, the live panel, topics.</summary>
[CollectionDefinition(Name)]
public sealed class TrafficBrowserCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "browser: traffic";
}

/// <summary>Comparison runs, emulated links, reconnects and faults: the longest tests.</summary>
[CollectionDefinition(Name)]
public sealed class ComparisonBrowserCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "browser: comparisons and faults";
}
