using System.Net;
using PushCompare.UnitTests.Infrastructure;

namespace PushCompare.UnitTests.LongPolling;

/// <summary>The shipped 25 s poll timeout on a test clock: it passes when a test advances the clock past it.</summary>
public sealed class PollTimeoutApp() : TestClockApp(("LongPolling:PollTimeout", PollTimeoutApp.PollTimeout.ToString()))
{
    public static readonly TimeSpan PollTimeout = TimeSpan.FromSeconds(25);
}

/// <summary>A poll with nothing to deliver ends empty once the poll timeout has passed.</summary>
public sealed class PollTimeoutTests(PollTimeoutApp app) : IClassFixture<PollTimeoutApp>
{
    private readonly HttpClient _http = app.CreateClient();

    /// <summary>A poll for a session with nothing queued, answered once the server has held it for the whole timeout.</summary>
    private async Task<HttpResponseMessage> PollTimedOutAsync(string id)
    {
        var poll = _http.PollAsync(id, 0);
        await app.Clock.AdvanceArmedAsync(PollTimeoutApp.PollTimeout);
        return await poll.Within("the held poll answers once its timeout has passed");
    }

    [Fact]
    public async Task Poll_with_nothing_to_deliver_is_204_with_no_body()
    {
        var session = await _http.OpenSessionAsync();

        var response = await PollTimedOutAsync(session.Id);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Session_keeps_working_after_a_timed_out_poll()
    {
        var session = await _http.OpenSessionAsync();
        Assert.Equal(HttpStatusCode.NoContent, (await PollTimedOutAsync(session.Id)).StatusCode);

        await _http.SendAcceptedAsync(session.Id, "after the timeout");

        Assert.Equal(["Received: after the timeout"], (await _http.PollBatchAsync(session.Id, 0)).Messages);
    }
}
