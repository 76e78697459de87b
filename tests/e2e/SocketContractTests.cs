using System.Text.Json;
using Microsoft.Playwright;

namespace PushCompare.E2ETests;

/// <summary>
/// The transport modules used directly in the browser: each behaves like the browser's WebSocket, and LongPollSocket
/// gives up as the protocol says. These drive the ES modules the page imports, against the real server.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class SocketContractTests(BrowserFixture browser) : IAsyncLifetime
{
    private IPage _page = null!;

    public async Task InitializeAsync()
    {
        _page = await browser.NewPageAsync();
        await _page.GotoAsync("/?transport=websocket");
    }

    public Task DisposeAsync() => _page.Context.CloseAsync();

    [Theory]
    [InlineData("websocket")]
    [InlineData("longpoll")]
    [InlineData("shortpoll")]
    [InlineData("sse")]
    [InlineData("auto")]
    public async Task Every_transport_has_the_websocket_shape(string transport)
    {
        var result = await _page.EvaluateAsync<JsonElement>("""
            async (transport) => {
              const { createSocket } = await import('/js/transports/index.js');
              const s = createSocket(transport, location.href);
              const constants = [s.CONNECTING, s.OPEN, s.CLOSING, s.CLOSED, s.constructor.CONNECTING, s.constructor.CLOSED];
              let tooEarly = 'no exception';
              try { s.send('too early'); } catch (e) { tooEarly = e.name; }
              const states = [s.readyState];
              const viaListener = new Promise((resolve) => s.addEventListener('open', () => resolve(true), { once: true }));
              await new Promise((resolve, reject) => { s.onopen = resolve; s.onerror = () => reject(new Error('error before open')); });
              states.push(s.readyState);
              const reply = new Promise((resolve) => { s.onmessage = (e) => resolve(e.data); });
              s.send('contract');
              const data = await reply;
              const closed = new Promise((resolve) => { s.onclose = (e) => resolve({ code: e.code, reason: e.reason, wasClean: e.wasClean }); });
              s.close(1000, 'bye');
              states.push(s.readyState);
              const close = await closed;
              states.push(s.readyState);
              return { constants, tooEarly, states, data, close, listenerFired: await viaListener, isEventTarget: s instanceof EventTarget };
            }
            """, transport);

        Assert.Equal([0, 1, 2, 3, 0, 3], result.GetProperty("constants").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal("InvalidStateError", result.GetProperty("tooEarly").GetString());
        Assert.Equal([0, 1, 2, 3], result.GetProperty("states").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal("Received: contract", result.GetProperty("data").GetString());
        Assert.Equal(1000, result.GetProperty("close").GetProperty("code").GetInt32());
        Assert.Equal("bye", result.GetProperty("close").GetProperty("reason").GetString());
        Assert.True(result.GetProperty("close").GetProperty("wasClean").GetBoolean());
        Assert.True(result.GetProperty("listenerFired").GetBoolean());
        Assert.True(result.GetProperty("isEventTarget").GetBoolean());
    }

    [Fact]
    public async Task Long_polling_gives_up_after_eight_failed_polls_in_a_row_with_error_then_close_1006()
    {
        await _page.RouteAsync(PollRoutes.IsSessionUrl, route => route.Request.Method == "GET"
            ? route.FulfillAsync(PollRoutes.Problem(503, "injected outage"))
            : route.FallbackAsync());

        var result = await _page.EvaluateAsync<JsonElement>("""
            async () => {
              const { LongPollSocket } = await import('/js/transports/longpoll.js');
              const s = new LongPollSocket('/poll', { baseDelayMs: 1, maxDelayMs: 4 }); // tiny backoff: the count matters here
              const retries = [];
              const order = [];
              s.addEventListener('retry', (e) => retries.push({ operation: e.operation, attempt: e.attempt, delayMs: e.delayMs, reason: e.reason }));
              s.onopen = () => order.push('open');
              s.onerror = () => order.push('error');
              const close = await new Promise((resolve) => { s.onclose = (e) => { order.push('close'); resolve({ code: e.code, wasClean: e.wasClean }); }; });
              return { retries, order, close, readyState: s.readyState };
            }
            """);

        var retries = result.GetProperty("retries").EnumerateArray().ToList();
        Assert.Equal([1, 2, 3, 4, 5, 6, 7], retries.Select(r => r.GetProperty("attempt").GetInt32()));
        Assert.All(retries, r =>
        {
            Assert.Equal("poll", r.GetProperty("operation").GetString());
            Assert.Equal("HTTP 503", r.GetProperty("reason").GetString());
            Assert.InRange(r.GetProperty("delayMs").GetInt32(), 0, 4);
        });
        Assert.Equal(["open", "error", "close"], result.GetProperty("order").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(1006, result.GetProperty("close").GetProperty("code").GetInt32());
        Assert.False(result.GetProperty("close").GetProperty("wasClean").GetBoolean());
        Assert.Equal(3, result.GetProperty("readyState").GetInt32());
    }

    [Fact]
    public async Task An_oversize_send_fires_error_then_close_1009_with_the_detail_like_WebSocket()
    {
        // A real refusal: one byte over the server's 65536-byte limit is answered 413 with a ProblemDetails detail.
        var result = await _page.EvaluateAsync<JsonElement>("""
            async () => {
              const { LongPollSocket } = await import('/js/transports/longpoll.js');
              const s = new LongPollSocket('/poll');
              await new Promise((resolve) => { s.onopen = resolve; });
              const error = new Promise((resolve) => { s.onerror = (e) => resolve(e.message); });
              const close = new Promise((resolve) => { s.onclose = (e) => resolve({ code: e.code, reason: e.reason, wasClean: e.wasClean }); });
              s.send('x'.repeat(65537));
              return { error: await error, close: await close };
            }
            """);

        var detail = result.GetProperty("error").GetString();
        Assert.Contains("65536-byte limit", detail);
        Assert.Equal(1009, result.GetProperty("close").GetProperty("code").GetInt32());
        Assert.Equal(detail, result.GetProperty("close").GetProperty("reason").GetString());
        Assert.False(result.GetProperty("close").GetProperty("wasClean").GetBoolean());
    }
}
