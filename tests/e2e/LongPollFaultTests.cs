using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace PushCompare.E2ETests;

/// <summary>The long-polling page under faults: what is retried (with the same seq / cursor), what ends the socket, and what the log says.</summary>
[Collection(ComparisonBrowserCollection.Name)]
public sealed partial class LongPollFaultTests(BrowserFixture browser) : IAsyncLifetime
{
    private EchoPage _echo = null!;

    public async Task InitializeAsync() => _echo = new EchoPage(await browser.NewPageAsync());

    public Task DisposeAsync() => _echo.Page.Context.CloseAsync();

    // The sequenced sender is shared by long polling and SSE: one test, run on each.
    [Theory]
    [InlineData("longpoll")]
    [InlineData("sse")]
    public async Task A_send_answered_503_is_retried_after_retry_after_with_the_same_seq_and_echoed_once(string transport)
    {
        var sends = new ConcurrentQueue<string>();
        int failuresLeft = 1;
        Func<string, bool> sessionUrl = transport == "sse" ? PollRoutes.IsSseSessionUrl : PollRoutes.IsSessionUrl;
        await _echo.Page.RouteAsync(sessionUrl, route =>
        {
            if (route.Request.Method != "POST") return route.FallbackAsync();
            sends.Enqueue(route.Request.Url);
            return Interlocked.Decrement(ref failuresLeft) >= 0
                ? route.FulfillAsync(PollRoutes.Problem(503, "injected overload", new() { ["Retry-After"] = "1" }))
                : route.ContinueAsync();
        });
        await _echo.OpenAsync(transport);

        await _echo.Send.ClickAsync();

        var retry = _echo.EventsWith("retry — send attempt 1 failed (HTTP 503)");
        await Expect(retry).ToHaveCountAsync(1);
        await Expect(_echo.ReceivedExactly("Received: Hello, world!")).ToHaveCountAsync(1);
        var delayMs = int.Parse(DelayPattern().Match(await retry.InnerTextAsync()).Groups[1].Value);
        Assert.InRange(delayMs, 1000, 5000); // Retry-After: 1 is a floor above the 250 ms first backoff
        Assert.Equal(["1", "1"], sends.Select(url => PollRoutes.Query(url, "seq")));

        // The next message carries the next number, and the first is not echoed again.
        await _echo.SendAsync("second");
        await Expect(_echo.ReceivedExactly("Received: second")).ToHaveCountAsync(1);
        await Expect(_echo.Received).ToHaveCountAsync(2);
        Assert.Equal(["1", "1", "2"], sends.Select(url => PollRoutes.Query(url, "seq")));
        // SSE's sends also acknowledge the last event processed (the reply to message 1).
        if (transport == "sse") Assert.Equal("1", PollRoutes.Query(sends.Last(), "ack"));
    }

    [Fact]
    public async Task A_poll_response_lost_in_flight_is_polled_again_with_the_same_cursor_and_delivered_once()
    {
        var polls = new ConcurrentQueue<string>();
        var lostBody = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        int losses = 1;
        await _echo.Page.RouteAsync(PollRoutes.IsSessionUrl, async route =>
        {
            if (route.Request.Method != "GET") { await route.FallbackAsync(); return; }
            polls.Enqueue(route.Request.Url);
            if (Interlocked.Decrement(ref losses) < 0) { await route.ContinueAsync(); return; }
            // The server answers (and counts the batch as sent), then the connection drops before the browser reads it.
            var answer = await route.FetchAsync(new RouteFetchOptions { Timeout = 60_000 });
            lostBody.TrySetResult($"{answer.Status} {await answer.TextAsync()}");
            await route.AbortAsync("connectionreset");
        });
        await _echo.OpenAsync("longpoll");

        await _echo.Send.ClickAsync();

        Assert.Contains("Received: Hello, world!", await lostBody.Task.WaitAsync(TimeSpan.FromSeconds(30)));
        await Expect(_echo.EventsWith("retry — poll attempt 1 failed")).ToHaveCountAsync(1);
        await Expect(_echo.ReceivedExactly("Received: Hello, world!")).ToHaveCountAsync(1);
        Assert.Equal(["0", "0"], polls.Take(2).Select(url => PollRoutes.Query(url, "cursor")));

        await _echo.SendAsync("second");
        await Expect(_echo.ReceivedExactly("Received: second")).ToHaveCountAsync(1);
        await Expect(_echo.Received).ToHaveCountAsync(2);
    }

    [Theory]
    [InlineData(410, 4410)]
    [InlineData(404, 4404)]
    [InlineData(409, 4400)]
    public async Task A_poll_answered_with_a_client_error_ends_the_socket_with_its_close_code_and_the_detail(int status, int closeCode)
    {
        var detail = $"injected {status} for the test";
        await _echo.Page.RouteAsync(PollRoutes.IsSessionUrl, route => route.Request.Method == "GET"
            ? route.FulfillAsync(PollRoutes.Problem(status, detail))
            : route.FallbackAsync());

        await _echo.Page.GotoAsync("/?transport=longpoll");

        await Expect(_echo.Status).ToHaveAttributeAsync("data-state", "closed");
        await Expect(_echo.EventsWith($"error — {detail}")).ToHaveCountAsync(1);
        await Expect(_echo.EventsWith($"(code {closeCode} “{detail}”, not clean)")).ToHaveCountAsync(1);
        await Expect(_echo.Connect).ToBeEnabledAsync();
    }

    [Fact]
    public async Task A_session_closed_by_the_server_ends_the_socket_with_4410_and_the_servers_reason()
    {
        var sessionUrl = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        _echo.Page.Request += (_, request) =>
        {
            if (request.Method == "GET" && PollRoutes.IsSessionUrl(request.Url)) sessionUrl.TrySetResult(request.Url);
        };
        await _echo.OpenAsync("longpoll");
        var session = new Uri(await sessionUrl.Task.WaitAsync(TimeSpan.FromSeconds(15)));

        // Someone else ends the session (as an expiry or a server-side close would); the held poll is answered 410.
        using var http = new HttpClient();
        using var deleted = await http.DeleteAsync(new Uri(session.GetLeftPart(UriPartial.Path)));
        Assert.Equal(System.Net.HttpStatusCode.NoContent, deleted.StatusCode);

        await Expect(_echo.Status).ToHaveAttributeAsync("data-state", "closed");
        var close = _echo.EventsWith("session ended — the server ended the session (code 4410");
        await Expect(close).ToHaveCountAsync(1);
        await Expect(close).ToContainTextAsync("The client closed the session (DELETE)");
        await Expect(_echo.EventsWith("error — The client closed the session (DELETE)")).ToHaveCountAsync(1);
    }

    [GeneratedRegex(@"trying again in (\d+) ms")]
    private static partial Regex DelayPattern();
}
