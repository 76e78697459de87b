using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using PushCompare.UnitTests.Infrastructure;
using PushCompare.Web.Backplane;
using PushCompare.Web.Sessions;

namespace PushCompare.UnitTests.Backplane;

/// <summary>Any instance answers any request of any session; a reader on one instance is woken by another.</summary>
public sealed class TwoInstanceTests(TwoInstances apps, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<TwoInstances>
{
    private readonly HttpClient _a = apps.HttpA, _b = apps.HttpB;

    [Fact]
    public async Task A_poll_held_on_A_is_woken_by_a_send_on_B()
    {
        var session = await _a.OpenSessionAsync();
        var poll = _a.PollAsync(session.Id, 0);
        await apps.WaitUntilHeldAsync(session.Id);
        Assert.False(poll.IsCompleted, "the poll answered before anything was sent");

        await _b.SendAcceptedAsync(session.Id, "from B");

        var batch = await PollingClient.ReadBatchAsync(await poll.Within("the poll held on A answers"));
        Assert.Equal(["Received: from B"], batch.Messages);
        Assert.Equal(1, batch.Cursor);
    }

    [Fact]
    public async Task An_event_stream_on_A_gets_the_reply_to_a_message_sent_through_B_and_B_resumes_it_by_Last_Event_ID()
    {
        var session = await _a.OpenStreamSessionAsync();
        await using (var stream = await EventStream.OpenAsync(_a, session.Id))
        {
            Assert.Equal("heartbeat", (await stream.NextAsync())!.Type);
            await _b.SendStreamAcceptedAsync(session.Id, "one", "?seq=1");
            Assert.Equal(new ServerEvent("message", "1", "Received: one", null), await stream.NextMessageAsync());
            await _b.SendStreamAcceptedAsync(session.Id, "two", "?seq=2");
        }
        // The stream on A is cut; the reconnect lands on B and resumes after the last event processed.
        await using var resumed = await EventStream.OpenAsync(_b, session.Id, lastEventId: "1");
        Assert.Equal(new ServerEvent("message", "2", "Received: two", null), await resumed.NextMessageAsync());
    }

    [Fact]
    public async Task The_same_seq_sent_to_A_and_B_at_once_is_echoed_once_every_time()
    {
        const int Rounds = 300;
        var session = await _a.OpenSessionAsync("?echo=exact");
        for (int seq = 1; seq <= Rounds; seq++)
        {
            var both = await Task.WhenAll(Send(_a, session.Id, seq), Send(_b, session.Id, seq));
            Assert.All(both, r => Assert.Equal(HttpStatusCode.Accepted, r.StatusCode));
        }

        var batch = await _b.PollBatchAsync(session.Id, 0);
        Assert.Equal(Rounds, batch.Cursor);
        Assert.Equal(Enumerable.Range(1, Rounds).Select(i => $"m{i}"), batch.Messages);

        static Task<HttpResponseMessage> Send(HttpClient http, string id, int seq) =>
            http.PostAsync($"/poll/{id}?seq={seq}", new StringContent($"m{seq}", System.Text.Encoding.UTF8, "text/plain"));
    }

    [Fact]
    public async Task A_newer_poll_on_B_supersedes_the_one_held_on_A()
    {
        var session = await _a.OpenSessionAsync();
        var older = _a.PollAsync(session.Id, 0);
        await apps.WaitUntilHeldAsync(session.Id);
        Assert.False(older.IsCompleted, "the older poll answered before the newer one came");

        var newer = _b.PollAsync(session.Id, 0);

        Assert.Equal(HttpStatusCode.NoContent, (await older.Within("the poll held on A is superseded")).StatusCode);
        await _a.SendAcceptedAsync(session.Id, "for the newer poll");
        Assert.Equal(["Received: for the newer poll"], (await PollingClient.ReadBatchAsync(await newer.Within("the poll on B answers"))).Messages);
    }

    /// <summary>
    /// A stream (SSE, a session-mode WebSocket) superseded while a message handed to it still waits in its inbox sends
    /// that message, then hears it was superseded: its next read says so at once. It once waited empty instead, for
    /// ever (the takeover's notice was spent on the batch), so the old stream or socket stayed open unread.
    /// </summary>
    [Fact]
    public async Task A_stream_superseded_while_a_handed_message_waits_gets_the_message_and_then_superseded()
    {
        var session = await _a.OpenSessionAsync();
        var store = (RedisSessionStore)apps.A.Services.GetRequiredService<ISessionStore>();
        var older = (await store.FindAsync(session.Id)).Session!;
        var attached = await older.AttachAsync(0, ReaderKind.Stream);
        using var probe = store.Wakeups.Register(session.Id); // gets every notice the older reader's inbox gets, in order

        Assert.Equal(SendStatus.Accepted, (await (await store.FindAsync(session.Id)).Session!.AcceptAsync(1, "handed")).Status);
        await (await store.FindAsync(session.Id)).Session!.AttachAsync(null, ReaderKind.Stream); // the newer reader, same instance
        // Both notices wait in the older reader's inbox before it reads: the message, then the takeover.
        Assert.Equal(NoticeKind.Message, (await probe.Reader.ReadAsync().AsTask().Within("the message's notice")).Kind);
        Assert.Equal(NoticeKind.Superseded, (await probe.Reader.ReadAsync().AsTask().Within("the takeover's notice")).Kind);

        var first = await older.ReadAsync(attached.Cursor, attached.Reader, TimeSpan.FromSeconds(5), CancellationToken.None);
        Assert.Equal(ReadStatus.Messages, first.Status);
        Assert.Equal(["handed"], first.Messages!);
        var next = await older.ReadAsync(first.Cursor, attached.Reader, TimeSpan.FromSeconds(5), CancellationToken.None);
        Assert.Equal(ReadStatus.Superseded, next.Status);
    }

    [Fact]
    public async Task A_session_closed_on_B_answers_410_with_its_reason_on_A_and_its_held_poll_ends_with_204()
    {
        var session = await _a.OpenSessionAsync();
        var poll = _a.PollAsync(session.Id, 0);
        await apps.WaitUntilHeldAsync(session.Id);

        Assert.Equal(HttpStatusCode.NoContent, (await _b.DeleteSessionAsync(session.Id)).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await poll.Within("the held poll ends")).StatusCode);
        var next = await ProblemAssert.IsProblemAsync(await _a.PollAsync(session.Id, 0), HttpStatusCode.Gone);
        Assert.Contains("DELETE", ProblemAssert.Detail(next));
        var later = await ProblemAssert.IsProblemAsync(await _a.SendAsync(session.Id, "late"), HttpStatusCode.Gone);
        Assert.Contains("DELETE", ProblemAssert.Detail(later));
    }

    [Fact]
    public async Task An_id_never_issued_is_404_on_every_instance()
    {
        var session = await _a.OpenSessionAsync();
        string forged = session.Id[..^4] + (session.Id[^4..] == "AAAA" ? "BBBB" : "AAAA");
        await ProblemAssert.IsProblemAsync(await _b.PollAsync(forged, 0), HttpStatusCode.NotFound);
        await ProblemAssert.IsProblemAsync(await _a.SendAsync(forged, "x"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_sessions_figures_are_summed_over_both_instances_it_touched()
    {
        var session = await _a.OpenSessionAsync();
        await _a.SendAcceptedAsync(session.Id, "via A");
        await _b.SendAcceptedAsync(session.Id, "via B");
        var batch = await _b.PollBatchAsync(session.Id, 0);
        Assert.Equal(2, batch.Cursor);

        // Each instance alone saw part of it; /api/stats?session= on either shows the whole, once the shares are added.
        await Eventually.AssertAsync(async () =>
        {
            var onA = await SessionFigures(_a, session.StatsKey);
            var onB = await SessionFigures(_b, session.StatsKey);
            output.WriteLine($"A: {onA}\nB: {onB}");
            return onA.GetProperty("messagesIn").GetInt64() == 2 && onA.GetProperty("messagesOut").GetInt64() == 2
                && onA.GetProperty("requests").GetInt64() == 4 && onA.ToString() == onB.ToString();
        }, "both instances show the session's summed figures");
        var figures = await SessionFigures(_b, session.StatsKey);
        Assert.Equal("longpoll", figures.GetProperty("transport").GetString());
        Assert.True(figures.GetProperty("open").GetBoolean());
        Assert.True(figures.GetProperty("bytesIn").GetInt64() > 0 && figures.GetProperty("bytesOut").GetInt64() > 0);
    }

    private static async Task<JsonElement> SessionFigures(HttpClient http, string statsKey)
    {
        var stats = await http.GetFromJsonAsync<JsonElement>($"/api/stats?session={statsKey}");
        return stats.GetProperty("sessions").EnumerateArray().Single();
    }
}
