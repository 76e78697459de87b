using System.Net;
using PushCompare.UnitTests.Infrastructure;

namespace PushCompare.UnitTests.ServerSentEvents;

public sealed class SseLimitsApp() : AppFactory(
    ("Messaging:MaxMessageBytes", "64"),
    ("Sessions:MaxBacklogMessages", "3"),
    ("Security:AllowedOrigins:0", "https://allowed.example"));

/// <summary>
/// Every bad input to /sse gets its own status and a sentence to act on — and nothing the session had queued
/// is lost by it: after each refusal, the queued message still arrives on the stream.
/// </summary>
public sealed class BadInputTests(SseLimitsApp app) : IClassFixture<SseLimitsApp>
{
    private readonly HttpClient _http = app.CreateClient();

    // A session holding one queued, unacknowledged reply: what a refusal must not lose.
    private async Task<OpenedStreamSession> SessionWithQueuedReplyAsync()
    {
        var session = await _http.OpenStreamSessionAsync("?echo=exact");
        await _http.SendStreamAcceptedAsync(session.Id, "kept", "?seq=1");
        return session;
    }

    private async Task AssertQueuedReplyArrivesAsync(OpenedStreamSession session)
    {
        await using var stream = await EventStream.OpenAsync(_http, session.Id);
        Assert.Equal(new ServerEvent("message", "1", "kept", null), await stream.NextMessageAsync());
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("-1")]
    [InlineData("1.5")]
    [InlineData("99")] // ahead of the newest message
    public async Task A_malformed_or_future_Last_Event_ID_is_400_and_the_queue_is_kept(string lastEventId)
    {
        var session = await SessionWithQueuedReplyAsync();
        var (response, _) = await EventStream.TryOpenAsync(_http, session.Id, lastEventId);
        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("Last-Event-ID", ProblemAssert.Detail(problem));
        await AssertQueuedReplyArrivesAsync(session);
    }

    [Fact]
    public async Task Unknown_ids_are_404_on_every_endpoint()
    {
        foreach (var id in new[] { new string('A', 32), "nope" })
        {
            var (stream, _) = await EventStream.TryOpenAsync(_http, id);
            await ProblemAssert.IsProblemAsync(stream, HttpStatusCode.NotFound);
            await ProblemAssert.IsProblemAsync(await _http.SendStreamAsync(id, "x"), HttpStatusCode.NotFound);
            await ProblemAssert.IsProblemAsync(await _http.PostAsync($"/sse/{id}/ack?lastEventId=0", null), HttpStatusCode.NotFound);
            await ProblemAssert.IsProblemAsync(await _http.DeleteAsync($"/sse/{id}"), HttpStatusCode.NotFound);
        }
    }

    [Fact]
    public async Task An_oversize_message_is_413_and_the_queue_is_kept()
    {
        var session = await SessionWithQueuedReplyAsync();
        var problem = await ProblemAssert.IsProblemAsync(await _http.SendStreamAsync(session.Id, new string('x', 65), "?seq=2"),
            HttpStatusCode.RequestEntityTooLarge);
        Assert.Contains("64-byte limit", ProblemAssert.Detail(problem));
        await AssertQueuedReplyArrivesAsync(session);
    }

    [Theory]
    [InlineData("?ack=x")]
    [InlineData("?ack=5")] // ahead of anything sent
    public async Task A_bad_ack_on_a_send_is_400_and_nothing_is_queued_or_lost(string query)
    {
        var session = await SessionWithQueuedReplyAsync();
        await ProblemAssert.IsProblemAsync(await _http.SendStreamAsync(session.Id, "refused", "?seq=2" + query.Replace('?', '&')), HttpStatusCode.BadRequest);
        await using var stream = await EventStream.OpenAsync(_http, session.Id);
        Assert.Equal("kept", (await stream.NextMessageAsync())!.Data);
        await _http.SendStreamAcceptedAsync(session.Id, "next", "?seq=2"); // seq 2 was not taken by the refused send
        Assert.Equal(new ServerEvent("message", "2", "next", null), await stream.NextMessageAsync());
    }

    [Theory]
    [InlineData("")]
    [InlineData("?lastEventId=")]
    [InlineData("?lastEventId=x")]
    [InlineData("?lastEventId=7")]
    public async Task A_bad_explicit_ack_is_400_and_the_queue_is_kept(string query)
    {
        var session = await SessionWithQueuedReplyAsync();
        var problem = await ProblemAssert.IsProblemAsync(await _http.PostAsync($"/sse/{session.Id}/ack{query}", null), HttpStatusCode.BadRequest);
        Assert.Contains("lastEventId", ProblemAssert.Detail(problem));
        await AssertQueuedReplyArrivesAsync(session);
    }

    [Fact]
    public async Task Requests_from_a_foreign_origin_are_403_and_the_session_is_untouched()
    {
        var session = await SessionWithQueuedReplyAsync();
        foreach (var (method, path) in new[] { (HttpMethod.Post, "/sse"), (HttpMethod.Get, $"/sse/{session.Id}"), (HttpMethod.Post, $"/sse/{session.Id}?seq=2"),
                     (HttpMethod.Post, $"/sse/{session.Id}/ack?lastEventId=1"), (HttpMethod.Delete, $"/sse/{session.Id}") })
        {
            using var request = new HttpRequestMessage(method, path);
            request.Headers.Add("Origin", "https://evil.example");
            if (method == HttpMethod.Post && path.Contains("seq", StringComparison.Ordinal)) request.Content = new StringContent("forged", System.Text.Encoding.UTF8, "text/plain");
            await ProblemAssert.IsProblemAsync(await _http.SendAsync(request), HttpStatusCode.Forbidden);
        }
        await AssertQueuedReplyArrivesAsync(session);
    }

    [Fact]
    public async Task A_backlog_past_the_limit_closes_the_session_with_410_saying_why()
    {
        var session = await _http.OpenStreamSessionAsync("?echo=exact");
        for (int i = 1; i <= 3; i++) await _http.SendStreamAcceptedAsync(session.Id, $"m{i}", $"?seq={i}");
        // Nobody acknowledges: the fourth reply passes the limit of three and the session ends.
        var problem = await ProblemAssert.IsProblemAsync(await _http.SendStreamAsync(session.Id, "m4", "?seq=4"), HttpStatusCode.Gone);
        Assert.Contains("backlog passed its limit", ProblemAssert.Detail(problem));
        var (stream, _) = await EventStream.TryOpenAsync(_http, session.Id);
        Assert.Contains("backlog", ProblemAssert.Detail(await ProblemAssert.IsProblemAsync(stream, HttpStatusCode.Gone)));
    }

    [Fact]
    public async Task Acknowledged_events_leave_the_backlog_so_a_reading_client_never_hits_the_limit()
    {
        var session = await _http.OpenStreamSessionAsync("?echo=exact");
        await using var stream = await EventStream.OpenAsync(_http, session.Id);
        for (int i = 1; i <= 10; i++)
        {
            await _http.SendStreamAcceptedAsync(session.Id, $"m{i}", $"?seq={i}&ack={i - 1}");
            Assert.Equal($"{i}", (await stream.NextMessageAsync())!.Id);
        }
    }
}

public sealed class SseSessionLimitApp() : AppFactory(("Sessions:MaxSessions", "2"));

/// <summary>The session limit counts every transport's sessions, and refuses the next one with 503 + Retry-After.</summary>
public sealed class SessionLimitTests(SseSessionLimitApp app) : IClassFixture<SseSessionLimitApp>
{
    [Fact]
    public async Task Past_the_limit_POST_sse_is_503_with_Retry_After_and_the_open_sessions_keep_working()
    {
        var http = app.CreateClient();
        var first = await http.OpenStreamSessionAsync("?echo=exact");
        var second = await http.OpenSessionAsync(); // a polling session takes the other place

        var refused = await http.PostAsync("/sse", null);
        await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.ServiceUnavailable);
        Assert.NotNull(refused.Headers.RetryAfter);

        await http.SendStreamAcceptedAsync(first.Id, "still here", "?seq=1");
        await using var stream = await EventStream.OpenAsync(http, first.Id);
        Assert.Equal("still here", (await stream.NextMessageAsync())!.Data);
        await http.SendAcceptedAsync(second.Id, "me too");
    }
}
