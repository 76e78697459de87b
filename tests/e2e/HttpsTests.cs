using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace PushCompare.E2ETests;

/// <summary>
/// The app on HTTPS at a free loopback port (its self-signed certificate in a temp folder), and with
/// <paramref name="alsoPlain"/> on plain HTTP at another, as <c>dotnet run</c> serves it; it records the method, HTTP
/// version, path and scheme of every request it serves, so a test can see what the browser really used.
/// </summary>
public sealed class HttpsAppHost : WebApplicationFactory<Program>
{
    private static readonly string Folder = Directory.CreateTempSubdirectory("pushcompare-e2e-https-").FullName;

    public ConcurrentQueue<(string Method, string Protocol, string Path, string Scheme)> Requests { get; } = new();

    public HttpsAppHost(bool alsoPlain = false)
    {
        UseKestrel(k =>
        {
            if (alsoPlain) k.Listen(IPAddress.Loopback, 0);
            k.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps());
        });
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Https:SelfSignedCertificatePath", Path.Combine(Folder, "localhost.pfx"));
        builder.UseSetting("WebSockets:KeepAliveInterval", "01:00:00");
        builder.ConfigureServices(services => services.AddSingleton<IStartupFilter>(new Recorder(Requests)));
    }

    /// <summary>Starts Kestrel and answers the HTTPS address as https://127.0.0.1:port/.</summary>
    public Uri Start()
    {
        StartServer();
        return Address("https");
    }

    /// <summary>The bound address of <paramref name="scheme"/>, as scheme://127.0.0.1:port/ (after <see cref="Start"/>).</summary>
    public Uri Address(string scheme)
    {
        var bound = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        var address = new Uri(bound.Single(a => a.StartsWith(scheme + ":", StringComparison.Ordinal)));
        return new UriBuilder(scheme, "127.0.0.1", address.Port, "/").Uri;
    }

    private sealed class Recorder(ConcurrentQueue<(string, string, string, string)> requests) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((HttpContext context, RequestDelegate nextDelegate) =>
            {
                requests.Enqueue((context.Request.Method, context.Request.Protocol, context.Request.Path.Value ?? "", context.Request.Scheme));
                return nextDelegate(context);
            });
            next(app);
        };
    }
}

/// <summary>
/// On https:// a real Chromium uses HTTP/2 for the page, its polls, its SSE stream and — RFC 8441, an extended
/// CONNECT answered 200 — its WebSocket, and every transport echoes there.
/// </summary>
[Collection(TrafficBrowserCollection.Name)]
public sealed class HttpsTests(BrowserFixture browser) : IAsyncLifetime
{
    private readonly HttpsAppHost _app = new();
    private Uri _base = null!;
    private IBrowserContext _context = null!;
    private EchoPage _echo = null!;

    public async Task InitializeAsync()
    {
        _base = _app.Start();
        _context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = _base.ToString(),
            IgnoreHTTPSErrors = true, // the app's own self-signed certificate
            ViewportSize = new ViewportSize { Width = 1280, Height = 800 },
        });
        _echo = new EchoPage(await _context.NewPageAsync());
    }

    public async Task DisposeAsync()
    {
        await _context.CloseAsync();
        await _app.DisposeAsync();
    }

    [Fact]
    public async Task Chromium_uses_HTTP2_for_the_page_the_polls_the_stream_and_the_WebSocket_which_all_echo()
    {
        var cdp = await _context.NewCDPSessionAsync(_echo.Page);
        var webSocketStatus = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        cdp.Event("Network.webSocketHandshakeResponseReceived").OnEvent += (_, e) =>
            webSocketStatus.TrySetResult(e!.Value.GetProperty("response").GetProperty("status").GetInt32());
        await cdp.SendAsync("Network.enable");

        await _echo.OpenAsync("websocket");
        Assert.Equal("h2", await _echo.Page.EvaluateAsync<string>("performance.getEntriesByType('navigation')[0].nextHopProtocol"));
        // The page says so in its connection bar and its figures' heading, and why its server figures stay empty here.
        await Expect(_echo.Page.GetByTestId("protocol")).ToHaveTextAsync("HTTP/2 + TLS");
        await Expect(_echo.Page.GetByTestId("live-protocol")).ToHaveTextAsync("HTTP/2 + TLS");
        await Expect(_echo.Page.GetByTestId("tls-notice")).ToBeVisibleAsync();
        await Expect(_echo.Page.GetByTestId("ws-status")).ToContainTextAsync("status 200"); // what devtools shows on HTTP/2
        await _echo.SendAsync("over h2");
        await Expect(_echo.ReceivedExactly("Received: over h2")).ToHaveCountAsync(1);
        Assert.Equal(200, await webSocketStatus.Task.WaitAsync(TimeSpan.FromSeconds(15))); // not 101: a CONNECT stream

        // Every other transport the page offers (its switch is built from the page's own list).
        var offered = await _echo.Page.Locator("[data-testid=transport] input").EvaluateAllAsync<string[]>("inputs => inputs.map(i => i.value)");
        Assert.Equal(["websocket", "longpoll", "shortpoll", "sse", "auto"], offered);
        foreach (var transport in offered.Where(t => t != "websocket"))
        {
            await _echo.Transport(transport).CheckAsync();
            await _echo.ExpectOpenAsync();
            await _echo.SendAsync($"{transport} over h2");
            await Expect(_echo.ReceivedExactly($"Received: {transport} over h2")).ToHaveCountAsync(1);
        }

        var served = _app.Requests.ToArray();
        Assert.Contains(served, r => r is { Method: "CONNECT", Protocol: "HTTP/2", Path: "/ws" });
        Assert.Contains(served, r => r is { Method: "GET", Path: "/" } && r.Protocol == "HTTP/2");
        // Every request of every transport rode HTTP/2: not one fell back to HTTP/1.1.
        Assert.All(served, r => Assert.Equal("HTTP/2", r.Protocol));
        Assert.Contains(served, r => r.Method == "GET" && r.Path.StartsWith("/poll/", StringComparison.Ordinal));
        Assert.Contains(served, r => r.Method == "GET" && r.Path.StartsWith("/sse/", StringComparison.Ordinal));
    }
}
