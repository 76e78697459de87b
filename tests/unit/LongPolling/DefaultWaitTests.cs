using System.Net;
using Microsoft.Extensions.DependencyInjection;
using PushCompare.UnitTests.Infrastructure;
using PushCompare.Web.Polling;
using PushCompare.Web.Sessions;

namespace PushCompare.UnitTests.LongPolling;

/// <summary>
/// <c>POST /poll?wait=W</c> sets the session's default hold time; a GET's own <c>wait</c> still overrides it. The poll
/// timeout is 30 s here, so a poll answered within the test's deadline was not held for the timeout.
/// </summary>
public sealed class DefaultWaitTests(HeldPollApp app) : IClassFixture<HeldPollApp>
{
    private const int PollTimeoutMs = 30_000;
    private readonly HttpClient _http = app.CreateClient();

    [Fact]
    public async Task Without_wait_the_session_default_is_the_poll_timeout_and_the_201_says_so()
    {
        var session = await _http.OpenSessionAsync();

        Assert.Equal(PollTimeoutMs, session.Body.GetProperty("waitMs").GetInt32());
        Assert.Equal(PollTimeoutMs, session.Body.GetProperty("pollTimeoutMs").GetInt32());
        var poll = _http.PollAsync(session.Id, 0);
        await app.WaitUntilHeldAsync(session.Id);
        Assert.False(poll.IsCompleted, "a poll of a default session answered before anything was sent");
        await _http.SendAcceptedAsync(session.Id, "held");
        Assert.Equal(["Received: held"], (await PollingClient.ReadBatchAsync(await poll.Within("the held poll answers"))).Messages);
    }

    [Fact]
    public async Task A_session_opened_with_wait_0_answers_polls_without_wait_at_once()
    {
        var session = await _http.OpenSessionAsync("?wait=0");
        Assert.Equal(0, session.Body.GetProperty("waitMs").GetInt32());

        var empty = await _http.PollAsync(session.Id, 0).Within("the empty short poll answers");
        Assert.Equal(HttpStatusCode.NoContent, empty.StatusCode);

        await _http.SendAcceptedAsync(session.Id, "now");
        var batch = await PollingClient.ReadBatchAsync(await _http.PollAsync(session.Id, 0).Within("the short poll answers"));
        Assert.Equal(["Received: now"], batch.Messages);
    }

    [Fact]
    public async Task A_nonzero_default_wait_ends_an_empty_poll_long_before_the_poll_timeout()
    {
        var session = await _http.OpenSessionAsync("?wait=100");
        Assert.Equal(100, session.Body.GetProperty("waitMs").GetInt32());

        var response = await _http.PollAsync(session.Id, 0).Within("the poll ends after the session's 100 ms hold");

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    [Fact]
    public async Task A_polls_own_wait_overrides_a_short_polling_default()
    {
        var session = await _http.OpenSessionAsync("?wait=0");

        var poll = _http.GetAsync($"/poll/{session.Id}?cursor=0&wait={PollTimeoutMs}");
        await app.WaitUntilHeldAsync(session.Id);
        Assert.False(poll.IsCompleted, "the poll asked to wait but answered before anything was sent");
        await _http.SendAcceptedAsync(session.Id, "woke the held poll");

        var batch = await PollingClient.ReadBatchAsync(await poll.Within("the held poll answers"));
        Assert.Equal(["Received: woke the held poll"], batch.Messages);
    }

    [Fact]
    public async Task A_polls_own_wait_0_overrides_a_long_polling_default()
    {
        var session = await _http.OpenSessionAsync();

        var response = await _http.GetAsync($"/poll/{session.Id}?cursor=0&wait=0").Within("the wait=0 poll answers");

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("soon")]
    [InlineData("")]
    [InlineData("1.5")]
    [InlineData("30001")]
    public async Task An_invalid_default_wait_is_400_and_opens_no_session(string wait)
    {
        var store = app.Services.GetRequiredService<SessionStore>();
        int open = store.OpenCount; // tests of one class run one at a time, so nothing else opens sessions meanwhile

        var response = await _http.PostAsync($"/poll?wait={wait}", content: null);

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains($"wait='{wait}'", ProblemAssert.Detail(problem));
        Assert.Contains("30000", ProblemAssert.Detail(problem));
        Assert.Null(response.Headers.Location);
        Assert.Equal(open, store.OpenCount);
    }
}
