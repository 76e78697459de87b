using System.Net;
using PushCompare.UnitTests.Infrastructure;

namespace PushCompare.UnitTests.LongPolling;

/// <summary>Sessions:IdleTimeout is 1 s here: a session nobody polls is freed, one with a poll held is not.</summary>
public sealed class IdleExpiryTests(IdleExpiryApp app) : IClassFixture<IdleExpiryApp>
{
    private readonly HttpClient _http = app.CreateClient();

    [Fact]
    public async Task Unpolled_session_expires_while_one_with_a_held_poll_survives()
    {
        // B's poll is held before A exists, so by the time A has been idle long enough to expire,
        // B has gone longer without a new poll: only the held poll can keep it alive.
        var held = await _http.OpenSessionAsync();
        var heldPoll = _http.PollAsync(held.Id, 0);
        await app.WaitUntilHeldAsync(held.Id);
        var idle = await _http.OpenSessionAsync();
        app.Clock.Advance(IdleExpiryApp.PastIdleTimeout);

        // A send neither starts nor holds a poll, so probing with it does not count as activity.
        await Eventually.AssertAsync(async () => (await _http.SendAsync(idle.Id, "anyone?")).StatusCode == HttpStatusCode.Gone,
            "the unpolled session expires");

        var gone = await ProblemAssert.IsProblemAsync(await _http.PollAsync(idle.Id, 0), HttpStatusCode.Gone);
        Assert.Contains("expired", ProblemAssert.Detail(gone));

        Assert.False(heldPoll.IsCompleted, "the held poll ended early");
        await _http.SendAcceptedAsync(held.Id, "still here");
        var batch = await PollingClient.ReadBatchAsync(await heldPoll.Within("the held poll answers"));
        Assert.Equal(["Received: still here"], batch.Messages);
    }
}
