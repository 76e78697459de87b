using System.Net;
using PushCompare.UnitTests.Infrastructure;

namespace PushCompare.UnitTests.LongPolling;

/// <summary>With a 30 s poll timeout, any answer within the test's deadline was caused by an event, not by the timeout.</summary>
public sealed class HeldPollTests(HeldPollApp app) : IClassFixture<HeldPollApp>
{
    private readonly HttpClient _http = app.CreateClient();

    [Fact]
    public async Task Held_poll_is_answered_as_soon_as_a_message_is_sent()
    {
        var session = await _http.OpenSessionAsync();
        var poll = _http.PollAsync(session.Id, 0);
        await app.WaitUntilHeldAsync(session.Id);
        Assert.False(poll.IsCompleted, "the poll answered before anything was sent");

        await _http.SendAcceptedAsync(session.Id, "wake up");

        var batch = await PollingClient.ReadBatchAsync(await poll.Within("the held poll answers"));
        Assert.Equal(1, batch.Cursor);
        Assert.Equal(["Received: wake up"], batch.Messages);
    }

    [Fact]
    public async Task A_newer_poll_ends_the_held_one_with_204_and_gets_the_next_message()
    {
        var session = await _http.OpenSessionAsync();
        var older = _http.PollAsync(session.Id, 0);
        await app.WaitUntilHeldAsync(session.Id);

        var newer = _http.PollAsync(session.Id, 0);

        Assert.Equal(HttpStatusCode.NoContent, (await older.Within("the older poll is answered")).StatusCode);
        Assert.False(newer.IsCompleted, "the newer poll answered before anything was sent");
        await _http.SendAcceptedAsync(session.Id, "for the newer poll");
        var batch = await PollingClient.ReadBatchAsync(await newer.Within("the newer poll answers"));
        Assert.Equal(["Received: for the newer poll"], batch.Messages);
    }

    [Fact]
    public async Task Closing_the_session_ends_its_held_poll_with_204_and_the_next_poll_gets_410_with_the_reason()
    {
        var session = await _http.OpenSessionAsync();
        var poll = _http.PollAsync(session.Id, 0);
        await app.WaitUntilHeldAsync(session.Id);

        Assert.Equal(HttpStatusCode.NoContent, (await _http.DeleteSessionAsync(session.Id)).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await poll.Within("the held poll ends")).StatusCode);
        var next = await ProblemAssert.IsProblemAsync(await _http.PollAsync(session.Id, 0), HttpStatusCode.Gone);
        Assert.Contains("DELETE", ProblemAssert.Detail(next));
    }
}
