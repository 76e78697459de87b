using System.Net;
using System.Text;
using PushCompare.UnitTests.Infrastructure;

namespace PushCompare.UnitTests.AnyTransport;

/// <summary>
/// A session is not bound to the transport that opened it: a long-polling session is read by an SSE stream and sent to
/// with <c>POST /sse/{id}</c>, an SSE session is polled and sent to with <c>POST /poll/{id}</c> — one numbered log, one
/// cursor, one <c>seq</c> — and the newer reader takes over from the older one whatever their transports.
/// </summary>
public sealed class PollAndStreamTests(ShortPollApp app) : IClassFixture<ShortPollApp>
{
    private readonly HttpClient _http = app.CreateClient();

    private Task<HttpResponseMessage> SendAsync(string path, string id, long seq, string text) =>
        _http.PostAsync($"{path}/{id}?seq={seq}", new StringContent(text, Encoding.UTF8, "text/plain"));

    private async Task SendAcceptedAsync(string path, string id, long seq, string text) =>
        Assert.Equal(HttpStatusCode.Accepted, (await SendAsync(path, id, seq, text)).StatusCode);

    [Fact]
    public async Task A_polling_session_is_read_by_a_stream_and_sent_to_under_sse()
    {
        var session = await _http.OpenSessionAsync("?echo=exact");
        await SendAcceptedAsync("/poll", session.Id, 1, "one");
        AssertBatch(1, ["one"], await _http.PollBatchAsync(session.Id, 0));

        // The stream resumes after the poll's position (Last-Event-ID = the cursor), so "one" is not delivered twice.
        await using var stream = await EventStream.OpenAsync(_http, session.Id, lastEventId: "1");
        await SendAcceptedAsync("/sse", session.Id, 2, "two");
        Assert.Equal(new ServerEvent("message", "2", "two", null), await stream.NextMessageAsync());
        // The same seq again through the other path is a duplicate: acknowledged, nothing queued twice.
        await SendAcceptedAsync("/poll", session.Id, 2, "two again");
        var gap = await ProblemAssert.IsProblemAsync(await SendAsync("/sse", session.Id, 4, "four"), HttpStatusCode.Conflict);
        Assert.Contains("seq=3", ProblemAssert.Detail(gap));
        await SendAcceptedAsync("/sse", session.Id, 3, "three");
        Assert.Equal(new ServerEvent("message", "3", "three", null), await stream.NextMessageAsync());
    }

    [Fact]
    public async Task A_stream_session_is_polled_and_sent_to_under_poll()
    {
        var session = await _http.OpenStreamSessionAsync("?echo=exact");
        await SendAcceptedAsync("/poll", session.Id, 1, "one");
        await SendAcceptedAsync("/sse", session.Id, 2, "two");
        AssertBatch(2, ["one", "two"], await _http.PollBatchAsync(session.Id, 0));
        // The stream's Last-Event-ID is the batch's cursor: it acknowledges both, and the stream starts after them.
        await using var stream = await EventStream.OpenAsync(_http, session.Id, lastEventId: "2");
        await SendAcceptedAsync("/poll", session.Id, 3, "three");
        Assert.Equal(new ServerEvent("message", "3", "three", null), await stream.NextMessageAsync());
    }

    [Fact]
    public async Task A_session_opened_by_sse_is_long_polled_by_default()
    {
        var session = await _http.OpenStreamSessionAsync("?echo=exact");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        // Held for the poll timeout when nothing is queued, not answered at once as a short poll would be.
        Assert.Equal(HttpStatusCode.NoContent, (await _http.PollAsync(session.Id, 0)).StatusCode);
        Assert.True(clock.ElapsedMilliseconds >= ShortPollApp.PollTimeoutMs - 20, $"answered after {clock.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task A_poll_supersedes_a_stream_and_a_stream_supersedes_a_poll()
    {
        var session = await _http.OpenSessionAsync("?echo=exact");
        await using (var stream = await EventStream.OpenAsync(_http, session.Id))
        {
            await stream.NextAsync(); // the opening heartbeat: the stream is the reader now
            var poll = await _http.PollAsync(session.Id, 0);
            Assert.Equal(HttpStatusCode.NoContent, poll.StatusCode); // nothing queued: the poll timed out as the reader
            var superseded = await stream.NextMessageAsync();
            Assert.Equal("superseded", superseded!.Type);
            Assert.Null(await stream.NextAsync()); // and the stream ended
        }
        await SendAcceptedAsync("/poll", session.Id, 1, "kept");
        AssertBatch(1, ["kept"], await _http.PollBatchAsync(session.Id, 0)); // nothing was lost by the switch
    }

    [Fact]
    public async Task A_closed_session_is_410_under_the_other_path_and_an_unknown_id_404()
    {
        var session = await _http.OpenStreamSessionAsync();
        Assert.Equal(HttpStatusCode.NoContent, (await _http.DeleteSessionAsync(session.Id)).StatusCode);
        await ProblemAssert.IsProblemAsync(await _http.PollAsync(session.Id, 0), HttpStatusCode.Gone);
        var (stream, _) = await EventStream.TryOpenAsync(_http, session.Id);
        await ProblemAssert.IsProblemAsync(stream, HttpStatusCode.Gone);
        await ProblemAssert.IsProblemAsync(await _http.PollAsync(new string('A', 32), 0), HttpStatusCode.NotFound);
    }

    private static void AssertBatch(long cursor, string[] messages, Batch batch)
    {
        Assert.Equal(cursor, batch.Cursor);
        Assert.Equal(messages, batch.Messages);
    }
}
