using System.Net;
using PushCompare.UnitTests.Infrastructure;

namespace PushCompare.UnitTests.LongPolling;

/// <summary>LongPolling:PollTimeout is 200 ms here: a poll with nothing to deliver ends empty.</summary>
public sealed class PollTimeoutTests(ShortPollApp app) : IClassFixture<ShortPollApp>
{
    private readonly HttpClient _http = app.CreateClient();

    [Fact]
    public async Task Poll_with_nothing_to_deliver_is_204_with_no_body()
    {
        var session = await _http.OpenSessionAsync();

        var response = await _http.PollAsync(session.Id, 0);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Session_keeps_working_after_a_timed_out_poll()
    {
        var session = await _http.OpenSessionAsync();
        Assert.Equal(HttpStatusCode.NoContent, (await _http.PollAsync(session.Id, 0)).StatusCode);

        await _http.SendAcceptedAsync(session.Id, "after the timeout");

        Assert.Equal(["Received: after the timeout"], (await _http.PollBatchAsync(session.Id, 0)).Messages);
    }
}
