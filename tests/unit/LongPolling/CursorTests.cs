using System.Net;
using PushCompare.UnitTests.Infrastructure;

namespace PushCompare.UnitTests.LongPolling;

/// <summary>
/// The cursor is the acknowledgement: a poll returns every message after it, and messages up to it are dropped
/// only then, so a response lost in flight is delivered again by a retry with the same cursor.
/// </summary>
public sealed class CursorTests(ShortPollApp app) : IClassFixture<ShortPollApp>
{
    private readonly HttpClient _http = app.CreateClient();

    [Fact]
    public async Task Messages_sent_between_polls_arrive_in_one_batch_in_order()
    {
        var session = await _http.OpenSessionAsync();
        foreach (var text in new[] { "one", "two", "three" }) await _http.SendAcceptedAsync(session.Id, text);

        var batch = await _http.PollBatchAsync(session.Id, 0);

        Assert.Equal(3, batch.Cursor);
        Assert.Equal(["Received: one", "Received: two", "Received: three"], batch.Messages);
    }

    [Fact]
    public async Task Same_cursor_again_redelivers_the_batch_and_a_later_cursor_acknowledges_it()
    {
        var session = await _http.OpenSessionAsync();
        foreach (var text in new[] { "one", "two", "three" }) await _http.SendAcceptedAsync(session.Id, text);

        var first = await _http.PollBatchAsync(session.Id, 0);
        var retry = await _http.PollBatchAsync(session.Id, 0); // as if the first response was lost
        Assert.Equal(first.Cursor, retry.Cursor);
        Assert.Equal(first.Messages, retry.Messages);

        // cursor=3 acknowledges all three: nothing is left, so the poll times out empty.
        Assert.Equal(HttpStatusCode.NoContent, (await _http.PollAsync(session.Id, 3)).StatusCode);
        // ...and they are gone for good: going back to cursor=0 is refused.
        await ProblemAssert.IsProblemAsync(await _http.PollAsync(session.Id, 0), HttpStatusCode.BadRequest);

        await _http.SendAcceptedAsync(session.Id, "four");
        var next = await _http.PollBatchAsync(session.Id, 3);
        Assert.Equal(4, next.Cursor);
        Assert.Equal(["Received: four"], next.Messages);
    }

    [Fact]
    public async Task Partial_acknowledgement_returns_only_the_unacknowledged_tail()
    {
        var session = await _http.OpenSessionAsync();
        foreach (var text in new[] { "one", "two", "three" }) await _http.SendAcceptedAsync(session.Id, text);

        var batch = await _http.PollBatchAsync(session.Id, 2);

        Assert.Equal(3, batch.Cursor);
        Assert.Equal(["Received: three"], batch.Messages);
    }

    [Theory]
    [InlineData("")]                // missing
    [InlineData("?cursor=")]        // empty
    [InlineData("?cursor=abc")]     // not a number
    [InlineData("?cursor=-1")]      // negative
    [InlineData("?cursor=1.5")]     // not an integer
    [InlineData("?cursor=9")]       // ahead of the newest message (2)
    public async Task Bad_cursor_is_400_and_loses_nothing(string query)
    {
        var session = await _http.OpenSessionAsync();
        await _http.SendAcceptedAsync(session.Id, "one");
        await _http.SendAcceptedAsync(session.Id, "two");

        await ProblemAssert.IsProblemAsync(await _http.GetAsync($"/poll/{session.Id}{query}"), HttpStatusCode.BadRequest);

        var batch = await _http.PollBatchAsync(session.Id, 0);
        Assert.Equal(2, batch.Cursor);
        Assert.Equal(["Received: one", "Received: two"], batch.Messages);
    }
}
