using Microsoft.Playwright;
using PushCompare.Hosting;
using PushCompare.Hosting.Proxies;

namespace PushCompare.E2ETests;

/// <summary>
/// What stands between a browser and the app, each configuration a real program the tests start on free loopback
/// ports (never the system's): nginx and HAProxy running the shipped deploy/ files, as shipped or with one mistake
/// made on purpose, and squid as the browser's forward proxy. One balancer per configuration for the whole
/// collection, started on first use; behind them the app itself (in this process, on real Kestrel), once with the
/// default keep-alives (SSE heartbeat and WebSocket ping every 15 s, polls held 25 s) and once with them set below the
/// balancers' 5 s idle timeout (the fix). Its own Chromium (and one more launched with <c>--proxy-server</c> for squid),
/// so it runs beside the other browser tests.
/// </summary>
public sealed class ProxyFixture : IAsyncLifetime
{
    /// <summary>The fix for a 5 s idle timeout: every keep-alive, and the poll hold, below it.</summary>
    public static readonly (string Key, string Value)[] ShortKeepAlives =
    [
        ("WebSockets:KeepAliveInterval", "00:00:02"),
        ("ServerSentEvents:HeartbeatInterval", "00:00:02"),
        ("LongPolling:PollTimeout", "00:00:03"),
    ];

    private static readonly (string Key, string Value)[] DefaultKeepAlives =
    [
        ("WebSockets:KeepAliveInterval", "00:00:15"),
        ("ServerSentEvents:HeartbeatInterval", "00:00:15"),
        ("LongPolling:PollTimeout", "00:00:25"),
    ];

    // The balancer on this machine is the one proxy the app trusts, as in a deployment.
    private static readonly (string, string) TrustLoopback = ("Security:TrustedProxies:0", "127.0.0.1");

    private readonly AppHost _defaults = new([.. DefaultKeepAlives, TrustLoopback]);
    private readonly AppHost _short = new([.. ShortKeepAlives, TrustLoopback]);
    private readonly HttpsAppHost _tls = new(alsoPlain: true);
    private readonly Dictionary<string, Task<ProxyProcess>> _balancers = [];
    private readonly SemaphoreSlim _gate = new(1, 1);
    private Uri _defaultsUrl = null!, _shortUrl = null!;
    private IPlaywright? _playwright;
    private IBrowser? _browser, _squidBrowser;
    private ProxyProcess? _squid;

    public async Task InitializeAsync()
    {
        _defaultsUrl = _defaults.Start();
        _shortUrl = _short.Start();
        _tls.Start();
        Assertions.SetDefaultExpectTimeout(15_000);
        _playwright = await Playwright.CreateAsync();
        _browser = await BrowserFixture.LaunchAsync(_playwright);
    }

    /// <summary>The shipped deploy/nginx.conf or deploy/haproxy.cfg.</summary>
    public static string Shipped(ProxyProgram program) => File.ReadAllText(ProxyProcess.ShippedConfigurationPath(program,
        DotnetApp.BuildMetadata(typeof(ProxyFixture).Assembly, "PushCompare.DeployFolder")!));

    /// <summary>The shipped file with <paramref name="original"/> replaced: asserts it is there, so the variant is exactly one change.</summary>
    public static string Variant(ProxyProgram program, string original, string replacement)
    {
        var shipped = Shipped(program);
        Assert.Contains(original, shipped);
        return shipped.Replace(original, replacement, StringComparison.Ordinal);
    }

    /// <summary>The balancer of configuration <paramref name="name"/>, started on first use, in front of the app with default or short keep-alives.</summary>
    public async Task<ProxyProcess> BalancerAsync(string name, ProxyProgram program, string configuration, bool shortKeepAlives)
    {
        Task<ProxyProcess> started;
        await _gate.WaitAsync();
        try
        {
            if (!_balancers.TryGetValue(name, out started!))
                _balancers[name] = started = ProxyProcess.StartBalancerAsync(program, configuration, [shortKeepAlives ? _shortUrl : _defaultsUrl], CancellationToken.None);
        }
        finally
        {
            _gate.Release();
        }
        return await started;
    }

    /// <summary>A fresh context of the plain browser (a balancer's self-signed certificate accepted, as if once by hand).</summary>
    public async Task<IBrowserContext> NewContextAsync() => BrowserFixture.ForBusyMachine(await _browser!.NewContextAsync(new BrowserNewContextOptions { IgnoreHTTPSErrors = true }));

    /// <summary>The app's plain and TLS addresses (direct; the squid browser reaches them through squid).</summary>
    public (Uri Plain, Uri Tls) TlsApp => (_tls.Address("http"), _tls.Address("https"));

    /// <summary>
    /// A fresh context of a Chromium whose every request goes through squid (<c>--proxy-server</c>; and
    /// <c>--proxy-bypass-list=&lt;-loopback&gt;</c>, without which Chromium never proxies loopback), started on first use.
    /// CONNECT is allowed to the app's TLS port only, as a company's proxy allows it to 443 only.
    /// </summary>
    public async Task<(IBrowserContext Context, ProxyProcess Squid)> NewSquidContextAsync()
    {
        await _gate.WaitAsync();
        try
        {
            _squid ??= await ProxyProcess.StartSquidAsync([TlsApp.Tls.Port], CancellationToken.None);
            _squidBrowser ??= await BrowserFixture.LaunchAsync(_playwright!, $"--proxy-server=http://127.0.0.1:{_squid.Address.Port}", "--proxy-bypass-list=<-loopback>");
        }
        finally
        {
            _gate.Release();
        }
        return (BrowserFixture.ForBusyMachine(await _squidBrowser.NewContextAsync(new BrowserNewContextOptions { IgnoreHTTPSErrors = true })), _squid);
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        if (_squidBrowser is not null) await _squidBrowser.DisposeAsync();
        _playwright?.Dispose();
        foreach (var balancer in _balancers.Values.Where(b => b.IsCompletedSuccessfully)) await balancer.Result.DisposeAsync();
        if (_squid is not null) await _squid.DisposeAsync();
        await _defaults.DisposeAsync();
        await _short.DisposeAsync();
        await _tls.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class ProxyCollection : ICollectionFixture<ProxyFixture>
{
    public const string Name = "proxies";
}
