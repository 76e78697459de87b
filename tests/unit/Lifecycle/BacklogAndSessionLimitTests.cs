using System.Net;
using PushCompare.UnitTests.Infrastructure;

namespace PushCompare.UnitTests.Lifecycle;

public sealed class TightLimitsApp() : AppFactory(
    ("Sessions:MaxBacklogMessages", "3"),
    ("Sessions:MaxBacklogBytes", "1000"),
    ("Sessions:MaxSessions", "5"),
    ("LongPolling:PollTimeout", "00:00:00.200"));

/// <summary>A client that stops polling cannot grow server memory without bound, nor can too many sessions.</summary>
public sealed class BacklogAndSessionLimitTests(TightLimitsApp app) : IClassFixture<TightLimitsApp>
{
    private readonly HttpClient _http = app.CreateClient();

    [Fact]
    public async Task Passing_the_backlog_message_limit_closes_the_session_with_410_and_the_reason()
    {
        var session = await _http.OpenSessionAsync();
        for (int i = 0; i < 3; i++) await _http.SendAcceptedAsync(session.Id, $"m{i}");

        var overflow = await _http.SendAsync(session.Id, "one too many");

        var problem = await ProblemAssert.IsProblemAsync(overflow, HttpStatusCode.Gone);
        Assert.Contains("backlog", ProblemAssert.Detail(problem));
        var poll = await ProblemAssert.IsProblemAsync(await _http.PollAsync(session.Id, 0), HttpStatusCode.Gone);
        Assert.Contains("backlog", ProblemAssert.Detail(poll));
    }

    [Fact]
    public async Task Passing_the_backlog_byte_limit_closes_the_session()
    {
        var session = await _http.OpenSessionAsync();
        await _http.SendAcceptedAsync(session.Id, new string('a', 600));

        var problem = await ProblemAssert.IsProblemAsync(await _http.SendAsync(session.Id, new string('b', 600)), HttpStatusCode.Gone);

        Assert.Contains("1000 bytes", ProblemAssert.Detail(problem));
    }

    [Fact]
    public async Task Acknowledged_messages_free_backlog_room()
    {
        var session = await _http.OpenSessionAsync();
        long cursor = 0;
        for (int round = 0; round < 4; round++)
        {
            for (int i = 0; i < 3; i++) await _http.SendAcceptedAsync(session.Id, $"r{round}m{i}");
            cursor = (await _http.PollBatchAsync(session.Id, cursor)).Cursor;
            // The next poll acknowledges the batch; only then does its room free up.
            Assert.Equal(HttpStatusCode.NoContent, (await _http.GetAsync($"/poll/{session.Id}?cursor={cursor}&wait=0")).StatusCode);
        }
        Assert.Equal(12, cursor);
    }

    [Fact]
    public async Task The_session_after_the_limit_gets_503_with_Retry_After_until_one_closes()
    {
        using var factory = new TightLimitsApp();
        var http = factory.CreateClient();
        var sessions = new List<OpenedSession>();
        for (int i = 0; i < 5; i++) sessions.Add(await http.OpenSessionAsync());

        var refused = await http.PostAsync("/poll", null);

        await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.ServiceUnavailable);
        Assert.NotNull(refused.Headers.RetryAfter);
        Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteSessionAsync(sessions[0].Id)).StatusCode);
        await http.OpenSessionAsync();
    }
}
