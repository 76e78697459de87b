using System.Net;
using PushCompare.UnitTests.Infrastructure;

namespace PushCompare.UnitTests.LongPolling;

/// <summary>Open → send → poll → close, with the limits the client is told about.</summary>
public sealed class SessionLifecycleTests(ShortPollApp app) : IClassFixture<ShortPollApp>
{
    private readonly HttpClient _http = app.CreateClient();

    [Fact]
    public async Task Open_is_201_with_Location_and_the_configured_limits()
    {
        var session = await _http.OpenSessionAsync();

        Assert.Equal($"/poll/{session.Id}", session.Response.Headers.Location?.OriginalString);
        Assert.Equal("application/json", session.Response.Content.Headers.ContentType?.MediaType);
        Assert.Matches("^[A-Za-z0-9_-]{32}$", session.Id);
        var body = session.Body;
        Assert.Equal(ShortPollApp.PollTimeoutMs, body.GetProperty("pollTimeoutMs").GetInt32());
        Assert.Equal(ShortPollApp.IdleTimeoutMs, body.GetProperty("idleTimeoutMs").GetInt32());
        Assert.Equal(ShortPollApp.MaxMessageBytes, body.GetProperty("maxMessageBytes").GetInt32());
        Assert.Equal(ShortPollApp.MaxBacklogMessages, body.GetProperty("maxBacklogMessages").GetInt32());
        Assert.Equal(ShortPollApp.MaxBacklogBytes, body.GetProperty("maxBacklogBytes").GetInt64());
    }

    [Fact]
    public async Task Send_is_202_and_the_first_poll_is_200_with_cursor_1()
    {
        var session = await _http.OpenSessionAsync();

        var sent = await _http.SendAsync(session.Id, "ping");
        Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);

        var batch = await _http.PollBatchAsync(session.Id, 0);
        Assert.Equal(1, batch.Cursor);
        Assert.Equal(["Received: ping"], batch.Messages);
    }

    [Fact]
    public async Task Delete_is_204_and_the_session_is_then_gone_with_a_reason()
    {
        var session = await _http.OpenSessionAsync();
        await _http.SendAcceptedAsync(session.Id, "never read");

        Assert.Equal(HttpStatusCode.NoContent, (await _http.DeleteSessionAsync(session.Id)).StatusCode);

        var poll = await ProblemAssert.IsProblemAsync(await _http.PollAsync(session.Id, 0), HttpStatusCode.Gone);
        var send = await ProblemAssert.IsProblemAsync(await _http.SendAsync(session.Id, "late"), HttpStatusCode.Gone);
        Assert.Contains("closed", ProblemAssert.Detail(poll));
        Assert.Contains("closed", ProblemAssert.Detail(send));
    }

    [Fact]
    public async Task Sessions_are_isolated_from_each_other()
    {
        var a = await _http.OpenSessionAsync();
        var b = await _http.OpenSessionAsync();

        await _http.SendAcceptedAsync(a.Id, "for A only");

        Assert.Equal(HttpStatusCode.NoContent, (await _http.PollAsync(b.Id, 0)).StatusCode);
        Assert.Equal(["Received: for A only"], (await _http.PollBatchAsync(a.Id, 0)).Messages);
    }
}
