using System.Net;
using PushCompare.UnitTests.Infrastructure;

namespace PushCompare.UnitTests.ServerSentEvents;

public sealed class StreamApp() : AppFactory(("ServerSentEvents:HeartbeatInterval", "00:00:00.200"));

/// <summary>The SSE stream — echo, push, ids, heartbeats, resume by Last-Event-ID, acknowledgement, one stream per session.</summary>
public sealed class StreamTests(StreamApp app) : IClassFixture<StreamApp>
{
    private readonly HttpClient _http = app.CreateClient();

    [Fact]
    public async Task The_stream_opens_at_once_with_a_heartbeat_that_announces_the_reconnection_delay()
    {
        var session = await _http.OpenStreamSessionAsync();
        await using var stream = await EventStream.OpenAsync(_http, session.Id);

        var first = await stream.NextAsync();
        Assert.Equal(new ServerEvent("heartbeat", null, "", session.Body.GetProperty("reconnectMs").GetInt32()), first);
        Assert.Equal("no-store", stream.Response.Headers.CacheControl?.ToString().Split(',').Select(v => v.Trim()).Single(v => v == "no-store"));
    }

    [Theory]
    [InlineData("", "Received: hello sse")]
    [InlineData("?echo=exact", "hello sse")]
    public async Task A_sent_message_is_answered_as_an_event_whose_id_is_its_sequence_number(string query, string expected)
    {
        var session = await _http.OpenStreamSessionAsync(query);
        await using var stream = await EventStream.OpenAsync(_http, session.Id);
        await _http.SendStreamAcceptedAsync(session.Id, "hello sse", "?seq=1");
        await _http.SendStreamAcceptedAsync(session.Id, "line one\nline two", "?seq=2");

        Assert.Equal(new ServerEvent("message", "1", expected, null), await stream.NextMessageAsync());
        var multiLine = await stream.NextMessageAsync();
        Assert.Equal("2", multiLine!.Id);
        Assert.EndsWith("line one\nline two", multiLine.Data); // several data: lines, joined with LF as EventSource does
    }

    [Fact]
    public async Task Push_ticks_arrive_in_order_with_increasing_ids()
    {
        var session = await _http.OpenStreamSessionAsync("?push=20");
        await using var stream = await EventStream.OpenAsync(_http, session.Id);
        for (int n = 1; n <= 3; n++)
        {
            var e = await stream.NextMessageAsync();
            Assert.Equal(n.ToString(System.Globalization.CultureInfo.InvariantCulture), e!.Id);
            Assert.StartsWith($"tick {n} ", e.Data);
        }
    }

    [Fact]
    public async Task A_quiet_stream_writes_heartbeats_that_carry_no_id()
    {
        var session = await _http.OpenStreamSessionAsync();
        await using var stream = await EventStream.OpenAsync(_http, session.Id);
        await stream.NextAsync(); // the opening one
        await _http.SendStreamAcceptedAsync(session.Id, "one", "?seq=1");
        Assert.Equal("1", (await stream.NextMessageAsync())!.Id);

        var beat = await stream.NextAsync(); // nothing more is queued: the next event is the interval's heartbeat
        Assert.Equal(new ServerEvent("heartbeat", null, "", null), beat);
    }

    [Fact]
    public async Task A_reconnect_with_Last_Event_ID_acknowledges_up_to_it_and_resumes_after_it()
    {
        var session = await _http.OpenStreamSessionAsync("?echo=exact");
        for (int i = 1; i <= 3; i++) await _http.SendStreamAcceptedAsync(session.Id, $"m{i}", $"?seq={i}");
        await using (var first = await EventStream.OpenAsync(_http, session.Id))
        {
            for (int i = 1; i <= 3; i++) Assert.Equal($"m{i}", (await first.NextMessageAsync())!.Data);
        } // cut after three events, of which the client "processed" two
        for (int i = 4; i <= 5; i++) await _http.SendStreamAcceptedAsync(session.Id, $"m{i}", $"?seq={i}");

        await using var resumed = await EventStream.OpenAsync(_http, session.Id, lastEventId: "2");
        for (int i = 3; i <= 5; i++) Assert.Equal(new ServerEvent("message", $"{i}", $"m{i}", null), await resumed.NextMessageAsync());

        // 1..2 are gone from the log: a stream that claims less is refused, and one without an id starts at 3.
        var (behind, _) = await EventStream.TryOpenAsync(_http, session.Id, lastEventId: "1");
        var problem = await ProblemAssert.IsProblemAsync(behind, HttpStatusCode.BadRequest);
        Assert.Contains("behind one already acknowledged (2)", ProblemAssert.Detail(problem));
    }

    [Fact]
    public async Task Without_Last_Event_ID_a_stream_starts_at_the_oldest_unacknowledged_message_and_acks_move_it()
    {
        var session = await _http.OpenStreamSessionAsync("?echo=exact");
        for (int i = 1; i <= 4; i++) await _http.SendStreamAcceptedAsync(session.Id, $"m{i}", $"?seq={i}");
        await using (var first = await EventStream.OpenAsync(_http, session.Id))
        {
            for (int i = 1; i <= 4; i++) await first.NextMessageAsync();
        }
        // An ack on a send, then an explicit one: each moves the start of the next stream.
        await _http.SendStreamAcceptedAsync(session.Id, "m5", "?seq=5&ack=1");
        await using (var second = await EventStream.OpenAsync(_http, session.Id))
            Assert.Equal("2", (await second.NextMessageAsync())!.Id);
        Assert.Equal(HttpStatusCode.NoContent, (await _http.PostAsync($"/sse/{session.Id}/ack?lastEventId=4", null)).StatusCode);
        await using var third = await EventStream.OpenAsync(_http, session.Id);
        Assert.Equal(new ServerEvent("message", "5", "m5", null), await third.NextMessageAsync());
    }

    [Fact]
    public async Task A_newer_stream_ends_the_older_one_which_is_told_it_was_superseded()
    {
        var session = await _http.OpenStreamSessionAsync("?echo=exact");
        await using var older = await EventStream.OpenAsync(_http, session.Id);
        await older.NextAsync();
        await using var newer = await EventStream.OpenAsync(_http, session.Id);

        Assert.Equal(new ServerEvent("superseded", null, "", null), await older.NextMessageAsync());
        Assert.Null(await older.NextAsync()); // and the older stream ends
        await _http.SendStreamAcceptedAsync(session.Id, "only here", "?seq=1");
        Assert.Equal("only here", (await newer.NextMessageAsync())!.Data);
    }

    [Fact]
    public async Task Delete_ends_the_open_stream_and_later_requests_get_410()
    {
        var session = await _http.OpenStreamSessionAsync();
        await using var stream = await EventStream.OpenAsync(_http, session.Id);
        await stream.NextAsync();

        Assert.Equal(HttpStatusCode.NoContent, (await _http.DeleteAsync($"/sse/{session.Id}")).StatusCode);

        Assert.Null(await stream.NextMessageAsync());
        var (again, _) = await EventStream.TryOpenAsync(_http, session.Id);
        Assert.Contains("The client closed the session (DELETE)", ProblemAssert.Detail(await ProblemAssert.IsProblemAsync(again, HttpStatusCode.Gone)));
    }
}
