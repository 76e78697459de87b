using System.Net;
using PushCompare.UnitTests.Infrastructure;

namespace PushCompare.UnitTests.LongPolling;

/// <summary>MaxSessions bounds the server's memory: past it, new sessions are refused with 503 until one closes.</summary>
public sealed class SessionLimitTests(SessionLimitApp app) : IClassFixture<SessionLimitApp>
{
    [Fact]
    public async Task Session_past_the_limit_is_503_with_Retry_After_until_one_closes()
    {
        var http = app.CreateClient();
        var first = await http.OpenSessionAsync();
        await http.OpenSessionAsync();

        var refused = await http.PostAsync("/poll", content: null);

        await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.ServiceUnavailable);
        Assert.NotNull(refused.Headers.RetryAfter);
        Assert.True(refused.Headers.CacheControl?.NoStore, "503 lacks Cache-Control: no-store");

        Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteSessionAsync(first.Id)).StatusCode);
        await http.OpenSessionAsync(); // the closed session's place is free again
    }
}

/// <summary>MaxBacklogMessages (3 here): a client that stops polling is cut off instead of growing the server's memory.</summary>
public sealed class BacklogLimitTests(BacklogLimitApp app) : IClassFixture<BacklogLimitApp>
{
    [Fact]
    public async Task Send_past_the_backlog_closes_the_session_with_410_saying_why()
    {
        var http = app.CreateClient();
        var session = await http.OpenSessionAsync();
        for (int i = 1; i <= 3; i++) await http.SendAcceptedAsync(session.Id, $"message {i}");

        var overflow = await ProblemAssert.IsProblemAsync(await http.SendAsync(session.Id, "message 4"), HttpStatusCode.Gone);
        var poll = await ProblemAssert.IsProblemAsync(await http.PollAsync(session.Id, 0), HttpStatusCode.Gone);

        Assert.Contains("backlog", ProblemAssert.Detail(overflow));
        Assert.Contains("backlog", ProblemAssert.Detail(poll));
    }

    [Fact]
    public async Task Acknowledged_messages_free_the_backlog()
    {
        var http = app.CreateClient();
        var session = await http.OpenSessionAsync();
        for (int i = 1; i <= 3; i++) await http.SendAcceptedAsync(session.Id, $"message {i}");
        Assert.Equal(3, (await http.PollBatchAsync(session.Id, 0)).Cursor);

        // Polling with cursor=3 acknowledges all three, so three more fit; the held poll returns the first of them.
        var poll = http.PollAsync(session.Id, 3);
        await app.WaitUntilHeldAsync(session.Id);
        for (int i = 4; i <= 6; i++) await http.SendAcceptedAsync(session.Id, $"message {i}");

        var batch = await PollingClient.ReadBatchAsync(await poll.Within("the poll answers"));
        Assert.Equal("Received: message 4", batch.Messages[0]);
        var rest = await http.PollBatchAsync(session.Id, 4);
        Assert.Equal(6, rest.Cursor);
        Assert.Equal(["Received: message 5", "Received: message 6"], rest.Messages);
    }
}
