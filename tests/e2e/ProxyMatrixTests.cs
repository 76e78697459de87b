using System.Text.Json;
using Microsoft.Playwright;
using PushCompare.Hosting.Proxies;
using Xunit.Abstractions;

namespace PushCompare.E2ETests;

/// <summary>
/// What a real Chromium sees of each transport through each configuration of what stands between it and the app:
/// the shipped nginx and HAProxy files (plain HTTP, and TLS with HTTP/2), the common mistakes made in them on purpose
/// (no Upgrade/Connection headers; buffering that ignores X-Accel-Buffering; a 5 s idle timeout, with the default
/// keep-alives and with keep-alives below it), and squid as the browser's forward proxy (ws:// and wss://). Each
/// transport opens, echoes once, for the idle-timeout rows stays silent longer than the timeout, and echoes again;
/// the test asserts the outcome docs/proxies.md's table states and prints the timings it measured.
/// </summary>
[Collection(ProxyCollection.Name)]
public sealed class ProxyMatrixTests(ProxyFixture proxies, ITestOutputHelper output)
{
    // Long enough past the 5 s idle timeouts that a connection they cut is cut by then.
    private const int IdleMs = 7_000;
    // How long the browser is given to open or to receive an echo before it counts as "did not happen".
    private const int PatienceMs = 8_000;

    private static readonly string[] Transports = ["websocket", "sse", "longpoll", "shortpoll"];

    /// <summary>A configuration: what stands in front, and what each transport does through it (see <see cref="Classify"/>).</summary>
    public sealed record Configuration(string Name, ProxyProgram Program, Func<string> Text, bool ShortKeepAlives, bool Tls, int IdleMs,
        IReadOnlyDictionary<string, string> Expected);

    // auto: the transport it ends on, having echoed everything once ("on websocket").
    private static Dictionary<string, string> Expect(string websocket, string sse, string longpoll, string shortpoll, string auto = "on websocket") =>
        new() { ["websocket"] = websocket, ["sse"] = sse, ["longpoll"] = longpoll, ["shortpoll"] = shortpoll, ["auto"] = auto };

    private const string Works = "works";

    public static readonly Configuration[] Configurations =
    [
        new("nginx, shipped", ProxyProgram.Nginx, () => ProxyFixture.Shipped(ProxyProgram.Nginx), false, false, 0, Expect(Works, Works, Works, Works)),
        new("nginx, shipped, TLS + HTTP/2", ProxyProgram.Nginx, () => ProxyFixture.Shipped(ProxyProgram.Nginx), false, true, 0, Expect(Works, Works, Works, Works)),
        new("HAProxy, shipped", ProxyProgram.Haproxy, () => ProxyFixture.Shipped(ProxyProgram.Haproxy), false, false, 0, Expect(Works, Works, Works, Works)),
        new("HAProxy, shipped, TLS + HTTP/2", ProxyProgram.Haproxy, () => ProxyFixture.Shipped(ProxyProgram.Haproxy), false, true, 0, Expect(Works, Works, Works, Works)),
        new("nginx without Upgrade/Connection", ProxyProgram.Nginx, () => ProxyFixture.Variant(ProxyProgram.Nginx,
                "        proxy_set_header Upgrade $http_upgrade;\n        proxy_set_header Connection $pushcompare_connection;\n", ""),
            false, false, 0, Expect("never opens", Works, Works, Works, auto: "on sse")),
        new("nginx buffering, ignoring X-Accel-Buffering", ProxyProgram.Nginx, () => ProxyFixture.Variant(ProxyProgram.Nginx,
                "        proxy_buffering off;\n", "        proxy_buffering on;\n        proxy_ignore_headers X-Accel-Buffering;\n"),
            false, false, 0, Expect(Works, Works, Works, Works)),
        new("nginx proxy_read_timeout 5s, default keep-alives", ProxyProgram.Nginx, () => ProxyFixture.Variant(ProxyProgram.Nginx,
                "proxy_read_timeout 60s;", "proxy_read_timeout 5s;"),
            false, false, IdleMs, Expect("closed when idle", "works, reconnecting", "works, retrying", Works)),
        new("nginx proxy_read_timeout 5s, keep-alives 2 s", ProxyProgram.Nginx, () => ProxyFixture.Variant(ProxyProgram.Nginx,
                "proxy_read_timeout 60s;", "proxy_read_timeout 5s;"),
            true, false, IdleMs, Expect(Works, Works, Works, Works)),
        new("HAProxy timeout server 5s, default keep-alives", ProxyProgram.Haproxy, () => ProxyFixture.Variant(ProxyProgram.Haproxy,
                "    timeout server 60s\n", "    timeout server 5s\n"),
            false, false, IdleMs, Expect(Works, "works, reconnecting", "works, retrying", Works)),
        new("HAProxy timeout server 5s, keep-alives 2 s", ProxyProgram.Haproxy, () => ProxyFixture.Variant(ProxyProgram.Haproxy,
                "    timeout server 60s\n", "    timeout server 5s\n"),
            true, false, IdleMs, Expect(Works, Works, Works, Works)),
    ];

    public static TheoryData<string> ConfigurationNames() => [.. Configurations.Select(c => c.Name)];

    [Theory]
    [MemberData(nameof(ConfigurationNames))]
    public async Task Through_a_balancer_each_transport_does_what_the_table_says(string name)
    {
        var configuration = Configurations.Single(c => c.Name == name);
        var balancer = await proxies.BalancerAsync(configuration.Name, configuration.Program, configuration.Text(), configuration.ShortKeepAlives);
        var context = await proxies.NewContextAsync();
        try
        {
            var page = await context.NewPageAsync();
            var origin = configuration.Tls ? balancer.TlsAddress! : balancer.Address;
            var results = await ProbeAsync(page, origin, configuration.IdleMs);
            if (configuration.Tls) Assert.Equal("h2", await page.EvaluateAsync<string>("() => performance.getEntriesByType('navigation')[0].nextHopProtocol"));
            AssertRow(configuration.Name, configuration.Expected, results);
        }
        finally
        {
            await context.CloseAsync();
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Through_squid_as_the_browsers_forward_proxy_each_transport_does_what_the_table_says(bool tls)
    {
        var (context, squid) = await proxies.NewSquidContextAsync();
        try
        {
            var page = await context.NewPageAsync();
            var origin = tls ? proxies.TlsApp.Tls : proxies.TlsApp.Plain;
            var results = await ProbeAsync(page, origin, idleMs: 0);
            output.WriteLine(squid.AccessLog());
            // ws:// goes through squid as a CONNECT to the app's plain port, which squid refuses (403) as it refuses
            // CONNECT to anything but 443; wss:// is a CONNECT to the TLS port, allowed: inside it squid sees nothing.
            AssertRow(tls ? "squid, https:// page (wss:// by CONNECT)" : "squid, http:// page (ws://)",
                tls ? Expect(Works, Works, Works, Works) : Expect("never opens", Works, Works, Works, auto: "on sse"), results);
            Assert.Contains(tls ? "TCP_TUNNEL/200" : "TCP_DENIED/403", squid.AccessLog());
        }
        finally
        {
            await context.CloseAsync();
        }
    }

    private void AssertRow(string configuration, IReadOnlyDictionary<string, string> expected, List<JsonElement> results)
    {
        var seen = results.ToDictionary(r => r.GetProperty("transport").GetString()!, Classify);
        foreach (var result in results) output.WriteLine($"{configuration} | {result.GetProperty("transport").GetString()} | {Classify(result)} | {result}");
        Assert.True(seen.ContainsKey("auto"), "the page offers no auto transport");
        foreach (var (transport, outcome) in expected) Assert.True(seen[transport] == outcome, $"{configuration}, {transport}: expected '{outcome}', saw '{seen[transport]}'");
        // Auto says why in plain words whenever it did not get its first choice.
        foreach (var change in results.Single(r => r.GetProperty("transport").GetString() == "auto").GetProperty("events").EnumerateArray()
                     .Where(e => e.GetProperty("type").GetString() == "transport" && e.GetProperty("previous").ValueKind == JsonValueKind.String))
            Assert.False(string.IsNullOrWhiteSpace(change.GetProperty("reason").GetString()), $"{configuration}: auto changed transport without saying why: {change}");
    }

    /// <summary>
    /// The outcome in the table's words: "never opens" (no open event within the patience), "echo never arrives"
    /// (opened, an echo did not come back), "closed when idle" (the echo after the silence did not come, the socket
    /// closed), "works, reconnecting" / "works, retrying" (every echo came back, and the socket's stream reconnected
    /// or its polls were retried on the way), "works".
    /// </summary>
    private static string Classify(JsonElement result)
    {
        if (result.GetProperty("openMs").ValueKind == JsonValueKind.Null) return "never opens";
        var echoes = result.GetProperty("echoes").EnumerateArray().ToList();
        var events = result.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("type").GetString()).ToList();
        if (result.GetProperty("transport").GetString() == "auto")
        {
            // Auto works when every echo came back exactly once, on whichever transport it settled on.
            var carriers = result.GetProperty("events").EnumerateArray().Where(e => e.GetProperty("type").GetString() == "transport").ToList();
            return echoes.All(e => e.GetProperty("ms").ValueKind != JsonValueKind.Null) && result.GetProperty("duplicates").GetInt32() == 0 && carriers.Count > 0
                ? $"on {carriers[^1].GetProperty("transport").GetString()}" : "auto failed";
        }
        if (echoes.Count > 0 && echoes[0].GetProperty("ms").ValueKind == JsonValueKind.Null) return "echo never arrives";
        if (echoes.Any(e => e.GetProperty("ms").ValueKind == JsonValueKind.Null)) return events.Contains("close") ? "closed when idle" : "echo after idle never arrives";
        if (events.Contains("close")) return "works, then closes";
        if (events.Contains("retry")) return result.GetProperty("transport").GetString() == "sse" ? "works, reconnecting" : "works, retrying";
        return Works;
    }

    /// <summary>
    /// Every transport at once, each on a socket of its own as the page makes it: open, echo, (stay silent, echo
    /// again), with every event the socket fires and when. The silence is the condition being measured (an idle
    /// connection past the proxy's timeout), not a wait for something that could be awaited.
    /// </summary>
    private static async Task<List<JsonElement>> ProbeAsync(IPage page, Uri origin, int idleMs)
    {
        await page.GotoAsync(new Uri(origin, "/healthz").ToString()); // a document of the origin, connecting nothing
        var results = await page.EvaluateAsync<JsonElement>(ProbeScript, new { transports = Transports, idleMs, patienceMs = PatienceMs });
        return [.. results.EnumerateArray()];
    }

    private const string ProbeScript = """
        async ({ transports, idleMs, patienceMs }) => {
          const { createSocket, transports: offered } = await import('/js/transports/index.js');
          const list = offered.some((t) => t.id === 'auto') ? [...transports, 'auto'] : transports; // a page without auto fails the row
          const probe = async (transport) => {
            const t0 = performance.now();
            const ms = () => Math.round(performance.now() - t0);
            const events = [], messages = [];
            let wake = () => {};
            const s = createSocket(transport, location.origin + '/');
            s.addEventListener('message', (e) => { messages.push(String(e.data)); wake(); });
            s.addEventListener('error', () => events.push({ ms: ms(), type: 'error' }));
            s.addEventListener('close', (e) => { events.push({ ms: ms(), type: 'close', code: e.code, reason: e.reason }); wake(); });
            s.addEventListener('retry', (e) => events.push({ ms: ms(), type: 'retry', operation: e.operation, reason: e.reason }));
            s.addEventListener('transport', (e) => events.push({ ms: ms(), type: 'transport', transport: e.transport, previous: e.previous, kind: e.kind, reason: e.reason }));
            const opened = await new Promise((resolve) => {
              const timer = setTimeout(() => resolve(false), patienceMs);
              s.addEventListener('open', () => { clearTimeout(timer); resolve(true); }, { once: true });
              s.addEventListener('close', () => { clearTimeout(timer); resolve(false); }, { once: true });
            });
            const result = { transport, openMs: opened ? ms() : null, echoes: [], events };
            const echo = async (text) => {
              const sent = performance.now();
              try { s.send(text); } catch (e) { return { text, ms: null, error: String(e) }; }
              const arrived = await new Promise((resolve) => {
                const timer = setTimeout(() => resolve(false), patienceMs);
                wake = () => {
                  if (messages.includes('Received: ' + text)) { clearTimeout(timer); resolve(true); }
                  else if (s.readyState === 3) { clearTimeout(timer); resolve(false); }
                };
                wake();
              });
              return { text, ms: arrived ? Math.round(performance.now() - sent) : null };
            };
            if (opened) {
              result.echoes.push(await echo('first'));
              if (idleMs > 0 && result.echoes[0].ms !== null) {
                await new Promise((resolve) => setTimeout(resolve, idleMs)); // the silence being measured
                result.echoes.push(await echo('after idle'));
              }
            }
            result.events = [...events]; // what happened before the probe's own close below
            result.received = messages.length;
            result.duplicates = messages.length - new Set(messages).size;
            result.endState = s.readyState;
            if (s.readyState !== 3) s.close();
            return result;
          };
          return Promise.all(list.map(probe));
        }
        """;
}

/// <summary>
/// Behind a real load balancer the page says plainly that the server's figures are not its browser's (the instance
/// sees a trusted proxy's X-Forwarded-For) and shows none of them, instead of figures that would not match DevTools.
/// </summary>
[Collection(ProxyCollection.Name)]
public sealed class BehindBalancerPageTests(ProxyFixture proxies)
{
    [Fact]
    public async Task Through_nginx_the_live_panel_says_its_figures_are_the_balancers_and_shows_none()
    {
        var nginx = await proxies.BalancerAsync("nginx, shipped", ProxyProgram.Nginx, ProxyFixture.Shipped(ProxyProgram.Nginx), shortKeepAlives: false);
        var context = await proxies.NewContextAsync();
        try
        {
            var echo = new EchoPage(await context.NewPageAsync());
            await echo.Page.GotoAsync(new Uri(nginx.Address, "/?transport=websocket").ToString());
            await echo.ExpectOpenAsync();
            await echo.SendAsync("behind nginx");
            await Assertions.Expect(echo.ReceivedExactly("Received: behind nginx")).ToHaveCountAsync(1);
            await Assertions.Expect(echo.Page.GetByTestId("live-proxy-note")).ToBeHiddenAsync(); // nothing read yet, nothing to say

            await echo.Page.GetByTestId("live-refresh").ClickAsync();

            await Assertions.Expect(echo.Page.GetByTestId("live-proxy-note")).ToBeVisibleAsync();
            await Assertions.Expect(echo.Page.GetByTestId("live-proxy-note")).ToContainTextAsync("through a load balancer (the app sees its requests come from 127.0.0.1");
            await Assertions.Expect(echo.Page.GetByTestId("live-websocket-messagesOut")).ToHaveAttributeAsync("data-value", "");
            await Assertions.Expect(echo.Page.GetByTestId("browser-websocket-messagesReceived")).ToHaveAttributeAsync("data-value", "1"); // the browser's own figures stay
            // A comparison run through the balancer leaves the server's figures out too, naming the balancer.
            var run = await echo.Page.EvaluateAsync<JsonElement>("""
                async () => {
                  const { runComparison } = await import('/js/compare.js');
                  const { transports, createSocket } = await import('/js/transports/index.js');
                  const [result] = await runComparison({ transports: transports.filter((t) => t.id === 'websocket'), createSocket,
                    echoes: 2, pushSeconds: 1, pushIntervalMs: 500 });
                  return { figures: result.figures, behindProxy: result.behindProxy, delivered: result.delivered };
                }
                """);
            Assert.Equal(JsonValueKind.Null, run.GetProperty("figures").ValueKind);
            Assert.StartsWith("127.0.0.1:", run.GetProperty("behindProxy").GetString());
            Assert.Equal(4, run.GetProperty("delivered").GetInt32()); // 2 echoes and 2 ticks: the page's own counts stay
        }
        finally
        {
            await context.CloseAsync();
        }
    }
}
