using System.Text.Json;
using Microsoft.Playwright;

namespace PushCompare.E2ETests;

/// <summary>
/// Drives auto.js in the page: one AutoSocket with server push every 10 ms (or subscribed to a topic the test publishes
/// "p1", "p2", … to) and a message sent every 20 ms, recording each pushed number, each echo reply and each transport
/// event, so a test can change what is in the way and then check that everything arrived once and in order.
/// </summary>
public sealed class TransportRun
{
    private readonly IPage _page;
    private readonly int _ups;

    private TransportRun(IPage page, int ups)
    {
        _page = page;
        _ups = ups;
    }

    /// <param name="timeouts">overrides of auto.js's timing (e.g. a freshly started cluster on a loaded machine is slow to answer at first)</param>
    /// <summary>
    /// Timeouts for a busy two-core machine: the run is about what a change of transport loses, not about how fast
    /// auto decides, and an attempt that is merely slow (a first upgrade, a probe at load 50+) must not count as failed.
    /// </summary>
    public static readonly object SlowMachine = new { unmeasuredTimeoutMs = 10_000, minTimeoutMs = 3_000 };

    public static async Task<TransportRun> StartAsync(IPage page, int ups, string? topic = null, object? timeouts = null)
    {
        await page.EvaluateAsync("""
            async ([ups, topic, timeouts]) => {
              const { AutoSocket } = await import('/js/transports/auto.js');
              // No remembered transport, and no probe on a timer: the test asks for it (probe()).
              const s = new AutoSocket(location.href, { ...(topic ? { topic } : { push: 10 }), ...timeouts, storage: null, upgradeAfterMs: 3_600_000 });
              const run = window.autoRun = { socket: s, ticks: [], replies: [], other: [], events: [], closed: null };
              s.addEventListener('transport', (e) => run.events.push({ transport: e.transport, previous: e.previous, kind: e.kind, reason: e.reason }));
              s.onmessage = (e) => {
                const tick = /^tick (\d+) \d+$/.exec(e.data) ?? /^p(\d+)$/.exec(e.data);
                if (tick) run.ticks.push(Number(tick[1]));
                else if (e.data.startsWith('Received: up ')) run.replies.push(Number(e.data.slice('Received: up '.length)));
                else run.other.push(e.data);
              };
              s.onclose = (e) => { run.closed = `${e.code} ${e.reason}`; };
              await new Promise((resolve, reject) => { s.onopen = resolve; s.onerror = (e) => reject(new Error(e.message)); });
              (async () => {
                for (let i = 1; i <= ups; i++) {
                  s.send(`up ${i}`);
                  await new Promise((r) => setTimeout(r, 20));
                }
              })();
            }
            """, new object?[] { ups, topic, timeouts ?? SlowMachine });
        return new TransportRun(page, ups);
    }

    /// <summary>Waits until <paramref name="transport"/> carries the session and at least <paramref name="ticks"/> ticks arrived.</summary>
    public async Task UntilAsync(string transport, int ticks)
    {
        try
        {
            await _page.WaitForFunctionAsync("([transport, ticks]) => autoRun.closed || (autoRun.socket.transport === transport && autoRun.ticks.length >= ticks)",
                new object[] { transport, ticks }, new PageWaitForFunctionOptions { Timeout = 90_000, PollingInterval = 50 });
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Waiting for {transport} and {ticks} ticks: {await StateAsync()}");
        }
        var closed = await _page.EvaluateAsync<string?>("() => autoRun.closed");
        Assert.True(closed is null, $"The socket closed: {closed}. {await StateAsync()}");
    }

    /// <summary>Probes the better transports now (the page would after 30 s).</summary>
    public Task ProbeAsync() => _page.EvaluateAsync("() => autoRun.socket.probeNow()");

    /// <summary>
    /// Waits for every echo, closes the socket, and checks: ticks 1..N each once in order, replies 1..ups each once in
    /// order, nothing else, and the transport events' kinds and transports as given.
    /// </summary>
    public async Task CheckAsync(string[]? kinds, string[]? transports, int pushed = 1000)
    {
        await _page.WaitForFunctionAsync("([ups, pushed]) => autoRun.replies.length >= ups && autoRun.ticks.length >= pushed",
            new object[] { _ups, pushed }, new PageWaitForFunctionOptions { Timeout = 90_000, PollingInterval = 50 });
        var result = await _page.EvaluateAsync<JsonElement>("""
            () => { const r = autoRun; r.socket.close(1000, 'done'); return { ticks: r.ticks, replies: r.replies, other: r.other, events: r.events }; }
            """);
        var ticks = result.GetProperty("ticks").EnumerateArray().Select(t => t.GetInt32()).ToList();
        var replies = result.GetProperty("replies").EnumerateArray().Select(t => t.GetInt32()).ToList();
        Assert.True(ticks.Count >= pushed, $"{ticks.Count} pushed messages");
        Assert.Equal(Enumerable.Range(1, ticks.Count), ticks);      // none lost, none repeated, in order (down)
        Assert.Equal(Enumerable.Range(1, _ups), replies);           // every send echoed once, in order (up and down)
        Assert.Empty(result.GetProperty("other").EnumerateArray());
        var events = result.GetProperty("events").EnumerateArray().ToList();
        // A poll already on its way when the probe's WebSocket attached can reach the server after it and take the
        // session back (the poll loop was paused, its request was not): the WebSocket is then superseded (4000) and
        // resumes, one reconnect that loses nothing (docs/protocol.md, "Upgrade"). Such trailing resumes are not the run's
        // transport changes, and only those are allowed after the upgrade.
        while (events.Count > 1 && events[^1].GetProperty("kind").GetString() == "resume" && events[^1].GetProperty("transport").GetString() == "websocket"
               && events[^1].GetProperty("reason").GetString()!.Contains("code 4000", StringComparison.Ordinal))
            events.RemoveAt(events.Count - 1);
        Assert.Equal("upgrade", events[^1].GetProperty("kind").GetString());
        Assert.Equal("websocket", events[^1].GetProperty("transport").GetString());
        if (transports is not null) Assert.Equal(transports, events.Select(e => e.GetProperty("transport").GetString()));
        if (kinds is not null) Assert.Equal(kinds, events.Select(e => e.GetProperty("kind").GetString()));
    }

    /// <summary>Where the run is: transport, counts and transport events (for a failure's message).</summary>
    public async Task<string> StateAsync() => (await _page.EvaluateAsync<JsonElement>(
        "() => ({ transport: autoRun.socket.transport, ticks: autoRun.ticks.length, replies: autoRun.replies.length, events: autoRun.events, closed: autoRun.closed })")).ToString();
}
