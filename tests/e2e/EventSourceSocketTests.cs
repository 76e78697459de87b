using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace PushCompare.E2ETests;

/// <summary>
/// EventSourceSocket (js/transports/sse.js) against the real /sse endpoints: what it acknowledges and when, how it
/// follows EventSource's reconnects, and how it ends when the stream is taken over, refused or the session is gone.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed partial class EventSourceSocketTests(BrowserFixture browser) : IAsyncLifetime
{
    private static readonly TimeSpan EventWait = TimeSpan.FromSeconds(15);
    private EchoPage _echo = null!;

    // The page's requests to the SSE endpoints, as the browser made them.
    private readonly ConcurrentQueue<IRequest> _requests = new();

    public async Task InitializeAsync()
    {
        _echo = new EchoPage(await browser.NewPageAsync());
        _echo.Page.Request += (_, request) =>
        {
            if (new Uri(request.Url).AbsolutePath.StartsWith("/sse", StringComparison.Ordinal)) _requests.Enqueue(request);
        };
        await _echo.Page.GotoAsync("/?transport=websocket"); // a page to import the modules in; its socket is not under test
    }

    public Task DisposeAsync() => _echo.Page.Context.CloseAsync();

    [Fact]
    public async Task Each_send_acknowledges_the_last_event_it_processed()
    {
        var replies = await _echo.Page.EvaluateAsync<string[]>("""
            async () => {
              const { EventSourceSocket } = await import('/js/transports/sse.js');
              const s = new EventSourceSocket('/sse');
              await new Promise((resolve) => { s.onopen = resolve; });
              const replies = [];
              for (const text of ['one', 'two', 'three']) { // each after the previous reply: its event id is known by then
                const reply = new Promise((resolve) => { s.onmessage = (e) => resolve(e.data); });
                s.send(text);
                replies.push(await reply);
              }
              await new Promise((resolve) => { s.onclose = resolve; s.close(); });
              return replies;
            }
            """);

        Assert.Equal(["Received: one", "Received: two", "Received: three"], replies);
        // The replies are events 1, 2, 3 of the session: the first send has nothing to acknowledge yet.
        var sends = _requests.Where(r => r.Method == "POST" && PollRoutes.IsSseSessionUrl(r.Url)).Select(r => new Uri(r.Url).Query).ToList();
        Assert.Equal(["?seq=1", "?seq=2&ack=1", "?seq=3&ack=2"], sends);
        Assert.DoesNotContain(_requests, r => r.Url.Contains("/ack?", StringComparison.Ordinal)); // a send carried every acknowledgement
    }

    [Fact]
    public async Task A_push_only_stream_is_acknowledged_after_every_100_events()
    {
        var result = await _echo.Page.EvaluateAsync<JsonElement>("""
            async () => {
              const { EventSourceSocket, ACK_EVERY } = await import('/js/transports/sse.js');
              const s = new EventSourceSocket('/sse?push=10'); // the shortest push interval: 250 ticks in about 2.5 s
              const ticks = [];
              await new Promise((resolve) => { s.onmessage = (e) => { ticks.push(e.data); if (ticks.length === 250) resolve(); }; });
              await new Promise((resolve) => { s.onclose = resolve; s.close(); });
              return { ackEvery: ACK_EVERY, ticks: ticks.length, numbers: ticks.map((t) => Number(t.split(' ')[1])) };
            }
            """);

        Assert.Equal(100, result.GetProperty("ackEvery").GetInt32());
        Assert.Equal(Enumerable.Range(1, 250), result.GetProperty("numbers").EnumerateArray().Select(e => e.GetInt32()).Take(250));
        var acks = _requests.Where(r => r.Method == "POST" && new Uri(r.Url).AbsolutePath.EndsWith("/ack", StringComparison.Ordinal)).ToList();
        Assert.Equal(["100", "200"], acks.Select(r => PollRoutes.Query(r.Url, "lastEventId")));
        Assert.DoesNotContain(_requests, r => r.Method == "POST" && PollRoutes.IsSseSessionUrl(r.Url)); // nothing was sent
        foreach (var ack in acks) Assert.Equal(204, (await ack.ResponseAsync())?.Status);
    }

    [Fact]
    public async Task A_stream_that_cannot_connect_is_retried_by_EventSource_and_the_socket_opens_after_it()
    {
        int cuts = 1;
        await _echo.Page.RouteAsync(PollRoutes.IsSseSessionUrl, route =>
            route.Request.Method == "GET" && Interlocked.Decrement(ref cuts) >= 0 ? route.AbortAsync("connectionreset") : route.FallbackAsync());

        var result = await _echo.Page.EvaluateAsync<JsonElement>("""
            async () => {
              const { EventSourceSocket } = await import('/js/transports/sse.js');
              const s = new EventSourceSocket('/sse');
              const retries = [];
              const order = [];
              s.addEventListener('retry', (e) => { order.push('retry'); retries.push({ operation: e.operation, attempt: e.attempt, delayMs: e.delayMs, reason: e.reason, at: performance.now() }); });
              s.onerror = () => order.push('error');
              const openedAt = await new Promise((resolve) => { s.onopen = () => { order.push('open'); resolve(performance.now()); }; });
              const reply = new Promise((resolve) => { s.onmessage = (e) => resolve(e.data); });
              s.send('after the reconnect');
              const data = await reply;
              await new Promise((resolve) => { s.onclose = resolve; s.close(); });
              return { retries, order, waitedMs: openedAt - retries[0].at, data };
            }
            """);

        Assert.Equal(["retry", "open"], result.GetProperty("order").EnumerateArray().Select(e => e.GetString()));
        var retry = Assert.Single(result.GetProperty("retries").EnumerateArray());
        Assert.Equal("stream", retry.GetProperty("operation").GetString());
        Assert.Equal(1, retry.GetProperty("attempt").GetInt32());
        Assert.Equal("the stream could not connect", retry.GetProperty("reason").GetString());
        // The delay announced is the one EventSource keeps before any stream set `retry:` (Chromium's default).
        int delayMs = retry.GetProperty("delayMs").GetInt32();
        Assert.InRange(result.GetProperty("waitedMs").GetDouble(), delayMs - 100, delayMs + 5000);
        Assert.Equal("Received: after the reconnect", result.GetProperty("data").GetString());
        Assert.Equal(2, _requests.Count(r => r.Method == "GET"));
    }

    [Fact]
    public async Task A_stream_that_keeps_failing_gives_up_after_max_attempts_with_error_then_close_1006_and_frees_the_session()
    {
        await _echo.Page.RouteAsync(PollRoutes.IsSseSessionUrl, route =>
            route.Request.Method == "GET" ? route.AbortAsync("connectionreset") : route.FallbackAsync());

        var result = await _echo.Page.EvaluateAsync<JsonElement>("""
            async () => {
              const { EventSourceSocket } = await import('/js/transports/sse.js');
              const s = new EventSourceSocket('/sse', { maxAttempts: 2 }); // two failures in a row end it: one retry
              const order = [];
              s.addEventListener('retry', (e) => order.push(`retry ${e.operation} ${e.attempt}`));
              s.onopen = () => order.push('open');
              s.onerror = (e) => order.push(`error ${e.message}`);
              const close = await new Promise((resolve) => { s.onclose = (e) => resolve({ code: e.code, reason: e.reason, wasClean: e.wasClean }); });
              return { order, close };
            }
            """);

        Assert.Equal(["retry stream 1", "error stream failed 2 times in a row (last: the stream could not connect)."],
            result.GetProperty("order").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(1006, result.GetProperty("close").GetProperty("code").GetInt32());
        Assert.Equal("", result.GetProperty("close").GetProperty("reason").GetString());
        Assert.False(result.GetProperty("close").GetProperty("wasClean").GetBoolean());
        Assert.Equal(2, _requests.Count(r => r.Method == "GET"));
        var delete = await RequestMadeAsync(r => r.Method == "DELETE"); // best effort, after the close: the session is still there
        Assert.Equal(new Uri(_requests.First(r => r.Method == "GET").Url).AbsolutePath, new Uri(delete.Url).AbsolutePath);
    }

    [Fact]
    public async Task A_session_ended_on_the_server_ends_the_socket_with_4410_once_its_stream_cannot_resume()
    {
        await _echo.Page.GotoAsync("/?transport=sse");
        await _echo.ExpectOpenAsync();
        var stream = Assert.Single(_requests, r => r.Method == "GET" && PollRoutes.IsSseSessionUrl(r.Url));

        // Someone else ends the session (as an expiry or a server-side close would): the server ends the stream, and
        // EventSource's reconnect (with Last-Event-ID) is answered 410.
        using var http = new HttpClient();
        using var deleted = await http.DeleteAsync(new Uri(stream.Url));
        Assert.Equal(System.Net.HttpStatusCode.NoContent, deleted.StatusCode);

        await Expect(_echo.Status).ToHaveAttributeAsync("data-state", "closed");
        await Expect(_echo.EventsWith("retry — stream attempt 1 failed (the stream ended); trying again in 1000 ms")).ToHaveCountAsync(1);
        const string Reason = "The server refused to resume the stream: the session was closed, expired or shut down.";
        await Expect(_echo.EventsWith($"session ended — the server ended the session (code 4410 “{Reason}”, not clean)")).ToHaveCountAsync(1);
        await Expect(_echo.EventsWith($"error — {Reason}")).ToHaveCountAsync(1);
        // This session's stream and its one reconnect (the page's own reconnect, a second later, opens a new session).
        var reconnect = _requests.Where(r => r.Method == "GET" && r.Url == stream.Url).ToList();
        Assert.Equal(2, reconnect.Count);
        Assert.Equal(410, (await reconnect[1].ResponseAsync())?.Status); // what the page could not see, seen by the browser
        Assert.DoesNotContain(_requests, r => r.Method == "DELETE"); // the session is gone: nothing to free
    }

    [Fact]
    public async Task A_stream_refused_at_its_first_connect_ends_the_socket_with_1006_and_frees_the_session()
    {
        // Only the first stream is refused: the page's own reconnect (a second after a 1006) then opens a new session,
        // so each event below happens exactly once however slowly the test looks (a refusal of every stream would
        // repeat them with every reconnect).
        int refused = 0;
        await _echo.Page.RouteAsync(PollRoutes.IsSseSessionUrl, route => route.Request.Method == "GET" && Interlocked.Increment(ref refused) == 1
            ? route.FulfillAsync(PollRoutes.Problem(404, "injected unknown session"))
            : route.FallbackAsync());

        await _echo.Page.GotoAsync("/?transport=sse");

        await Expect(_echo.EventsWith("error — The server refused the stream (EventSource does not say why) and it will not reconnect.")).ToHaveCountAsync(1);
        await Expect(_echo.EventsWith("session ended — the connection failed (code 1006, not clean)")).ToHaveCountAsync(1); // as WebSocket: 1006 has no reason
        await _echo.ExpectOpenAsync(); // the page's reconnect, on a session of its own
        await Expect(_echo.EventsWith("error — The server refused the stream")).ToHaveCountAsync(1);
        // The session the first POST made is still on the server (only the test refused its stream): the page frees it.
        var open = _requests.First(r => r.Method == "POST");
        string? location = (await open.ResponseAsync())?.Headers.GetValueOrDefault("location");
        var delete = await RequestMadeAsync(r => r.Method == "DELETE");
        Assert.Equal(location, new Uri(delete.Url).AbsolutePath);
        Assert.Equal(2, _requests.Count(r => r.Method == "POST")); // the refused session and the reconnect's
    }

    [Fact]
    public async Task A_newer_stream_of_the_session_supersedes_the_page_which_closes_with_4409_and_leaves_the_session_alone()
    {
        await _echo.Page.GotoAsync("/?transport=sse");
        await _echo.ExpectOpenAsync();
        var stream = Assert.Single(_requests, r => r.Method == "GET" && PollRoutes.IsSseSessionUrl(r.Url));

        // A second stream of the same session (whoever holds the id may open one) takes over.
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, stream.Url);
        using var taken = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(System.Net.HttpStatusCode.OK, taken.StatusCode);

        var close = _echo.EventsWith("session ended — a newer stream of the session took over (code 4409");
        await Expect(close).ToHaveCountAsync(1);
        await Expect(close).ToContainTextAsync("superseded");
        await Expect(_echo.EventsWith("error — A newer stream of this session took over")).ToHaveCountAsync(1);
        await Expect(_echo.Status).ToHaveAttributeAsync("data-state", "closed");
        Assert.Single(_requests, r => r.Method == "GET"); // it did not reconnect to take the session back
        Assert.DoesNotContain(_requests, r => r.Method == "DELETE");
    }

    // The first request `match` accepts, made already or still to come (a best-effort DELETE may follow the close event).
    private async Task<IRequest> RequestMadeAsync(Func<IRequest, bool> match)
    {
        var made = new TaskCompletionSource<IRequest>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnRequest(object? sender, IRequest request)
        {
            if (match(request)) made.TrySetResult(request);
        }
        _echo.Page.Request += OnRequest;
        try
        {
            return _requests.FirstOrDefault(match) ?? await made.Task.WaitAsync(EventWait);
        }
        finally
        {
            _echo.Page.Request -= OnRequest;
        }
    }
}
