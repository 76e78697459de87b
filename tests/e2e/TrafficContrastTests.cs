using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace PushCompare.E2ETests;

/// <summary>
/// What devtools' Network tab shows, counted from the browser's own network events (not from the page's code):
/// after the connection is open, WebSocket sends frames and no HTTP requests; long polling pays one POST per message.
/// </summary>
[Collection(TrafficBrowserCollection.Name)]
public sealed class TrafficContrastTests(BrowserFixture browser) : IAsyncLifetime
{
    private const int Messages = 10;
    private static readonly TimeSpan EventWait = TimeSpan.FromSeconds(15);
    private EchoPage _echo = null!;

    public async Task InitializeAsync() => _echo = new EchoPage(await browser.NewPageAsync());

    public Task DisposeAsync() => _echo.Page.Context.CloseAsync();

    [Fact]
    public async Task Ten_websocket_sends_make_no_http_request_and_ten_frames_each_way()
    {
        var framesSent = new ConcurrentQueue<string>();
        var framesReceived = new ConcurrentQueue<string>();
        var allFrames = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _echo.Page.WebSocket += (_, socket) =>
        {
            socket.FrameSent += (_, frame) => { framesSent.Enqueue(frame.Text ?? "<binary>"); CheckDone(); };
            socket.FrameReceived += (_, frame) => { framesReceived.Enqueue(frame.Text ?? "<binary>"); CheckDone(); };
        };
        void CheckDone()
        {
            if (framesSent.Count >= Messages && framesReceived.Count >= Messages) allFrames.TrySetResult();
        }

        await _echo.OpenAsync("websocket");
        var requestsAfterOpen = new ConcurrentQueue<string>();
        _echo.Page.Request += (_, request) => requestsAfterOpen.Enqueue($"{request.Method} {request.Url}");

        var texts = await SendNumberedAsync();
        await allFrames.Task.WaitAsync(EventWait);

        Assert.Empty(requestsAfterOpen);
        Assert.Equal(texts, framesSent);
        Assert.Equal(texts.Select(t => "Received: " + t), framesReceived);
    }

    [Fact]
    public async Task Ten_long_polling_sends_make_ten_posts_and_the_200_polls_carry_the_ten_replies()
    {
        var webSockets = 0;
        _echo.Page.WebSocket += (_, _) => Interlocked.Increment(ref webSockets);
        var posts = new ConcurrentQueue<IRequest>();
        var polledMessages = new ConcurrentQueue<string>();
        var pollBodies = new ConcurrentQueue<Task>();
        var allReplies = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _echo.Page.Request += (_, request) =>
        {
            if (request.Method == "POST" && PollRoutes.IsSessionUrl(request.Url)) posts.Enqueue(request);
        };
        // RequestFinished comes after the body is in, so a 200 poll's messages can be read from the browser's copy.
        _echo.Page.RequestFinished += (_, request) =>
        {
            if (request.Method == "GET" && PollRoutes.IsSessionUrl(request.Url)) pollBodies.Enqueue(ReadPollAsync(request));
        };
        async Task ReadPollAsync(IRequest request)
        {
            var response = await request.ResponseAsync();
            if (response is not { Status: 200 }) return;
            using var batch = JsonDocument.Parse(await response.TextAsync());
            foreach (var message in batch.RootElement.GetProperty("messages").EnumerateArray()) polledMessages.Enqueue(message.GetString()!);
            if (polledMessages.Count >= Messages) allReplies.TrySetResult();
        }

        await _echo.OpenAsync("longpoll");
        var texts = await SendNumberedAsync();
        await allReplies.Task.WaitAsync(EventWait);
        await Task.WhenAll(pollBodies); // every finished poll read, so none is still adding messages

        Assert.Equal(0, Volatile.Read(ref webSockets));
        Assert.Equal(Messages, posts.Count);
        Assert.Single(posts.Select(p => new Uri(p.Url).AbsolutePath).Distinct()); // all to the one session
        Assert.Equal(Enumerable.Range(1, Messages).Select(i => $"seq={i}"), posts.Select(p => new Uri(p.Url).Query.TrimStart('?')));
        Assert.Equal(texts, posts.Select(p => p.PostData));
        Assert.All(posts, p => Assert.Equal("text/plain; charset=utf-8", p.Headers["content-type"]));
        Assert.Equal(texts.Select(t => "Received: " + t), polledMessages);
    }

    [Fact]
    public async Task The_page_makes_no_request_of_its_own_while_websocket_and_then_long_polling_are_in_use()
    {
        var page = _echo.Page;
        var requests = new ConcurrentQueue<IRequest>();
        var sockets = new ConcurrentQueue<(IWebSocket Socket, int RequestsBefore)>();
        page.Request += (_, request) => requests.Enqueue(request);
        page.WebSocket += (_, socket) => sockets.Enqueue((socket, requests.Count));
        await page.Clock.InstallAsync(); // Playwright's clock, before the page loads: the idle time below runs ahead

        await _echo.OpenAsync("websocket");
        await SendNumberedAsync();
        // The idle time is what is under test: a timer of the page's own (a stats refresh) would show up in it, as every
        // timer due in these 5 s fires (a request one made and reported late would fail the checks after the switch).
        await page.Clock.RunForAsync(5000);

        // Everything over HTTP is the page's own assets, all of them loaded before the one socket was opened.
        var (socket, requestsBefore) = Assert.Single(sockets);
        Assert.Equal("/ws", new Uri(socket.Url).AbsolutePath);
        var assets = requests.ToArray();
        Assert.Equal(requestsBefore, assets.Length);
        Assert.Contains(assets, r => r.ResourceType == "document");
        Assert.All(assets, r => Assert.True(r.Method == "GET" && r.ResourceType is "document" or "stylesheet" or "script",
            $"{r.Method} {r.Url} ({r.ResourceType}) is not one of the page's assets"));
        string? webSocketKey = await page.GetByTestId("live-websocket-session").GetAttributeAsync("data-value");
        Assert.False(string.IsNullOrEmpty(webSocketKey));

        await _echo.Transport("longpoll").CheckAsync();
        await _echo.ExpectOpenAsync();
        var texts = Enumerable.Range(1, Messages).Select(i => $"polled {i}").ToArray();
        foreach (var text in texts) await _echo.SendAsync(text);
        await Expect(_echo.Received).ToHaveCountAsync(2 * Messages);
        await Expect(_echo.Received.Locator(".text")).ToHaveTextAsync([.. Enumerable.Range(1, Messages).Select(i => $"Received: message {i}"), .. texts.Select(t => "Received: " + t)]);

        // The panel shows the session's stats key; the session's own URLs carry its id, named by the 201's Location.
        var open = Assert.Single(requests, r => r.Method == "POST" && new Uri(r.Url).AbsolutePath == "/poll");
        string? location = (await open.ResponseAsync())?.Headers.GetValueOrDefault("location");
        Assert.StartsWith("/poll/", location);
        string sessionId = location!["/poll/".Length..];
        Assert.NotEqual(sessionId, await page.GetByTestId("live-longpoll-session").GetAttributeAsync("data-value"));
        var afterSwitch = requests.Skip(assets.Length).Select(r => (r.Method, Url: new Uri(r.Url))).ToList();
        // The one read of the page's own is the WebSocket column's final figures, made as that socket closed, before
        // the polling session opened; during the session there is none.
        var statsRead = Assert.Single(afterSwitch, r => r.Url.AbsolutePath == "/api/stats");
        Assert.Equal(0, afterSwitch.IndexOf(statsRead));
        Assert.Equal(("GET", webSocketKey), (statsRead.Method, PollRoutes.Query(statsRead.Url.ToString(), "session")));
        var session = afterSwitch.Where(r => r != statsRead).ToList();
        Assert.Equal(("POST", "/poll"), (session[0].Method, session[0].Url.AbsolutePath));
        Assert.All(session.Skip(1), r => Assert.Equal($"/poll/{sessionId}", r.Url.AbsolutePath));
        Assert.Equal(Messages, session.Count(r => r.Method == "POST" && r.Url.AbsolutePath != "/poll"));
        Assert.Contains(session, r => r.Method == "GET");
        Assert.Equal(1 + Messages + session.Count(r => r.Method == "GET"), session.Count); // nothing else: no DELETE, no other URL
    }

    [Fact]
    public async Task Ten_server_sent_events_echoes_make_one_post_to_open_one_held_get_and_ten_posts_and_nothing_else()
    {
        var page = _echo.Page;
        var webSockets = 0;
        page.WebSocket += (_, _) => Interlocked.Increment(ref webSockets);
        var requests = new ConcurrentQueue<IRequest>();
        page.Request += (_, request) => requests.Enqueue(request);

        await _echo.OpenAsync("sse");
        var texts = await SendNumberedAsync();

        // After the page's own files: the session's requests, and nothing of the page's (no /api/stats, no favicon).
        var session = requests.Where(r => r.ResourceType is not ("document" or "stylesheet" or "script")).ToList();
        Assert.All(requests.Except(session), r => Assert.Equal("GET", r.Method));
        Assert.Equal(("POST", "/sse"), (session[0].Method, new Uri(session[0].Url).AbsolutePath));
        string? location = (await session[0].ResponseAsync())?.Headers.GetValueOrDefault("location");
        Assert.StartsWith("/sse/", location);
        Assert.NotEqual(location!["/sse/".Length..], await page.GetByTestId("live-sse-session").GetAttributeAsync("data-value"));

        // One GET, the EventSource's, held open: every reply came down it.
        var stream = session[1];
        Assert.Equal(("GET", location, "eventsource"), (stream.Method, new Uri(stream.Url).AbsolutePath, stream.ResourceType));
        Assert.Equal("text/event-stream", stream.Headers["accept"]);
        Assert.Equal(200, (await stream.ResponseAsync())?.Status);

        // Then one POST per message, in order, each numbered, each acknowledging what the page had processed by then.
        var sends = session.Skip(2).ToList();
        Assert.Equal(Messages, sends.Count); // nothing else: no poll, no ack, no DELETE, no second stream
        Assert.All(sends, r => Assert.Equal(("POST", location), (r.Method, new Uri(r.Url).AbsolutePath)));
        Assert.Equal(texts, sends.Select(r => r.PostData));
        Assert.Equal(Enumerable.Range(1, Messages).Select(i => $"{i}"), sends.Select(r => PollRoutes.Query(r.Url, "seq")));
        var acks = sends.Select(r => PollRoutes.Query(r.Url, "ack")).Select(a => a == "" ? 0 : int.Parse(a, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(acks.Order(), acks);
        Assert.All(acks.Select((ack, i) => (ack, seq: i + 1)), a => Assert.InRange(a.ack, 0, a.seq - 1)); // only replies already received
        Assert.Equal(0, Volatile.Read(ref webSockets));
    }

    [Fact]
    public async Task Short_polling_declares_wait_0_once_and_then_polls_on_its_interval_hearing_204_while_idle()
    {
        const int IdlePolls = 3;
        var opens = new ConcurrentQueue<string>();
        var polls = new ConcurrentQueue<(string Url, int Status)>();
        var idle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _echo.Page.Request += (_, request) =>
        {
            if (request.Method == "POST" && new Uri(request.Url).AbsolutePath == "/poll") opens.Enqueue(request.Url);
        };
        _echo.Page.Response += (_, response) =>
        {
            if (response.Request.Method != "GET" || !PollRoutes.IsSessionUrl(response.Url)) return;
            polls.Enqueue((response.Url, response.Status));
            if (polls.Count(p => p.Status == 204) >= IdlePolls) idle.TrySetResult();
        };
        await _echo.Page.GotoAsync("/?transport=shortpoll");
        await _echo.Page.GetByTestId("poll-interval").FillAsync("200"); // a change reconnects with the new interval
        await _echo.Page.GetByTestId("poll-interval").DispatchEventAsync("change");
        await _echo.ExpectOpenAsync();

        await idle.Task.WaitAsync(EventWait);

        Assert.All(opens, url => Assert.Equal("0", PollRoutes.Query(url, "wait")));
        Assert.All(polls, p => Assert.Equal("", PollRoutes.Query(p.Url, "wait"))); // the session's default applies
        Assert.All(polls, p => Assert.Equal(204, p.Status)); // nothing to say: each poll answered at once, empty
        await _echo.SendAsync("between polls");
        await Expect(_echo.ReceivedExactly("Received: between polls")).ToHaveCountAsync(1);
    }

    // Sends "message 1".."message 10" through the page and waits until all ten replies are in the log.
    private async Task<string[]> SendNumberedAsync()
    {
        var texts = Enumerable.Range(1, Messages).Select(i => $"message {i}").ToArray();
        foreach (var text in texts) await _echo.SendAsync(text);
        await Expect(_echo.Received).ToHaveCountAsync(Messages);
        await Expect(_echo.Received.Locator(".text")).ToHaveTextAsync(texts.Select(t => "Received: " + t).ToArray());
        return texts;
    }
}
