using System.Net;
using System.Net.WebSockets;
using System.Text;
using PushCompare.UnitTests.Infrastructure;

namespace PushCompare.UnitTests.AnyTransport;

/// <summary>The app on Kestrel with a 200 ms poll timeout, so a poll of an empty session answers soon.</summary>
public sealed class SessionModeApp : AppFactory
{
    public SessionModeApp() : base(("LongPolling:PollTimeout", "00:00:00.200"), ("WebSockets:CloseTimeout", "00:00:02"))
    {
        StartOnKestrel();
    }
}

/// <summary>
/// The WebSocket's session mode, <c>GET /ws?session=new|{id}&amp;cursor=N</c>: it opens a session or attaches to one
/// opened by any transport, carries the same numbered log, cursor and <c>seq</c> as polls and streams, takes over from
/// them as the newer reader (and is taken over from), and refuses every bad input with a code and a reason, changing nothing.
/// </summary>
public sealed class WebSocketSessionTests(SessionModeApp app) : IClassFixture<SessionModeApp>
{
    private readonly HttpClient _http = new() { BaseAddress = app.KestrelAddress };

    private Task<SessionSocketClient> ConnectAsync(string query) => SessionSocketClient.ConnectAsync(app.KestrelAddress, query);

    private async Task SendAcceptedAsync(string path, string id, long seq, string text) =>
        Assert.Equal(HttpStatusCode.Accepted, (await _http.PostAsync($"{path}/{id}?seq={seq}", new StringContent(text, Encoding.UTF8, "text/plain"))).StatusCode);

    // The frames that answer one s frame: its k and the m of its reply, in whichever order they were sent.
    private static async Task AssertAnsweredAsync(SessionSocketClient socket, long seq, long n, string reply)
    {
        var frames = new[] { await socket.ReceiveAsync(), await socket.ReceiveAsync() };
        Assert.Equal(new[] { $"k{seq}", $"m{n} {reply}" }.Order(), frames.Order());
    }

    [Fact]
    public async Task A_new_session_opens_on_the_socket_and_echoes_with_numbers_and_acceptances()
    {
        await using var socket = await ConnectAsync("?session=new");
        Assert.Equal(1, socket.ExpectedSeq);
        Assert.Equal(0, socket.Acked);
        Assert.Equal("received", socket.Opened.GetProperty("echo").GetString());
        Assert.Equal(32, socket.Id.Length);
        await socket.SendAsync("s1 hi");
        await AssertAnsweredAsync(socket, 1, 1, "Received: hi");
        await socket.SendAsync("s1 hi"); // a resend: accepted again, nothing queued twice
        Assert.Equal("k1", await socket.ReceiveAsync());
        await socket.SendAsync("a1");
        await socket.SendAsync("s2 there");
        await AssertAnsweredAsync(socket, 2, 2, "Received: there");
    }

    [Fact]
    public async Task A_socket_session_is_continued_by_polls_streams_and_another_socket()
    {
        string id;
        await using (var socket = await ConnectAsync("?session=new&echo=exact"))
        {
            id = socket.Id;
            await socket.SendAsync("s1 one");
            await AssertAnsweredAsync(socket, 1, 1, "one");
        }
        // Long polling: message 1 was sent but not acknowledged, so the poll from 0 has it again; then a send under /poll.
        var batch = await _http.PollBatchAsync(id, 0);
        Assert.Equal(["one"], batch.Messages);
        await SendAcceptedAsync("/poll", id, 2, "two");
        // SSE, after the poll's cursor.
        await using (var stream = await EventStream.OpenAsync(_http, id, lastEventId: "1"))
        {
            Assert.Equal(new ServerEvent("message", "2", "two", null), await stream.NextMessageAsync());
            await SendAcceptedAsync("/sse", id, 3, "three");
            Assert.Equal(new ServerEvent("message", "3", "three", null), await stream.NextMessageAsync());
        }
        // A socket again: its o says where both directions resume.
        await using var again = await ConnectAsync($"?session={id}&cursor=3");
        Assert.Equal(id, again.Id);
        Assert.Equal(4, again.ExpectedSeq);
        Assert.Equal(3, again.Acked);
        await again.SendAsync("s4 four");
        await AssertAnsweredAsync(again, 4, 4, "four");
    }

    [Fact]
    public async Task A_polling_session_and_a_stream_session_are_read_and_sent_to_by_a_socket()
    {
        var polled = await _http.OpenSessionAsync("?echo=exact");
        await SendAcceptedAsync("/poll", polled.Id, 1, "queued");
        await using (var socket = await ConnectAsync($"?session={polled.Id}"))
        {
            Assert.Equal(2, socket.ExpectedSeq);
            Assert.Equal("m1 queued", await socket.ReceiveAsync());
            await socket.SendAsync("s2 via socket");
            await AssertAnsweredAsync(socket, 2, 2, "via socket");
        }
        await SendAcceptedAsync("/poll", polled.Id, 2, "resent by a poll"); // a duplicate: nothing queued
        Assert.Equal(["queued", "via socket"], (await _http.PollBatchAsync(polled.Id, 0)).Messages);

        var streamed = await _http.OpenStreamSessionAsync("?echo=exact");
        await SendAcceptedAsync("/sse", streamed.Id, 1, "from sse");
        await using var reader = await ConnectAsync($"?session={streamed.Id}&cursor=0");
        Assert.Equal("m1 from sse", await reader.ReceiveAsync());
    }

    [Fact]
    public async Task A_socket_supersedes_a_stream_and_a_poll_supersedes_a_socket()
    {
        var session = await _http.OpenStreamSessionAsync("?echo=exact");
        await using var stream = await EventStream.OpenAsync(_http, session.Id);
        await stream.NextAsync(); // the opening heartbeat: the stream is the reader
        await using var socket = await ConnectAsync($"?session={session.Id}");
        Assert.Equal("superseded", (await stream.NextMessageAsync())!.Type);

        var poll = _http.PollAsync(session.Id, 0);
        var (_, status, reason) = await socket.ReceiveCloseAsync();
        Assert.Equal((WebSocketCloseStatus)4000, status);
        Assert.Equal("superseded by a newer reader", reason);
        Assert.Equal(HttpStatusCode.NoContent, (await poll).StatusCode);
    }

    [Theory]
    [InlineData("x", "unknown frame type")]
    [InlineData("", "empty frame")]
    [InlineData("s0 zero", "malformed send")]
    [InlineData("s-1 minus", "malformed send")]
    [InlineData("s1", "malformed send")]
    [InlineData("s1 ", "carries no text")]
    [InlineData("a", "malformed ack")]
    [InlineData("a1x", "malformed ack")]
    [InlineData("a5", "a5: 5 is ahead of the last message sent (1)")]
    public async Task A_malformed_frame_or_an_ack_ahead_closes_4400_with_a_reason_and_changes_nothing(string frame, string reason)
    {
        var (id, socket) = await SessionWithOneMessageAsync();
        await socket.SendAsync(frame);
        var (_, status, said) = await socket.ReceiveCloseAsync();
        Assert.Equal((WebSocketCloseStatus)4400, status);
        Assert.Contains(reason, said);
        await AssertUnchangedAsync(id);
    }

    [Fact]
    public async Task An_ack_behind_what_was_acknowledged_closes_4400()
    {
        var (id, first) = await SessionWithOneMessageAsync();
        await first.DisposeAsync();
        await using var socket = await ConnectAsync($"?session={id}&cursor=0");
        Assert.Equal("m1 one", await socket.ReceiveAsync());
        await socket.SendAsync("a1");
        await socket.SendAsync("a0");
        var (_, status, reason) = await socket.ReceiveCloseAsync();
        Assert.Equal((WebSocketCloseStatus)4400, status);
        Assert.Equal("a0 acknowledges 0 but 1 were acknowledged already: acknowledge the last message processed", reason);
    }

    [Fact]
    public async Task A_seq_gap_closes_4409_naming_the_expected_seq_and_changes_nothing()
    {
        var (id, socket) = await SessionWithOneMessageAsync();
        await socket.SendAsync("s3 skipped");
        var (_, status, reason) = await socket.ReceiveCloseAsync();
        Assert.Equal((WebSocketCloseStatus)4409, status);
        Assert.Contains("next message must carry seq=2", reason);
        await AssertUnchangedAsync(id);
    }

    [Fact]
    public async Task A_binary_frame_closes_1003_and_changes_nothing()
    {
        var (id, socket) = await SessionWithOneMessageAsync();
        await socket.SendBinaryAsync([1, 2, 3]);
        var (_, status, reason) = await socket.ReceiveCloseAsync();
        Assert.Equal(WebSocketCloseStatus.InvalidMessageType, status);
        Assert.Contains("session mode carries text", reason);
        await AssertUnchangedAsync(id);
    }

    [Fact]
    public async Task Frames_naming_another_sessions_numbers_are_refused_and_change_nothing()
    {
        // The other session has sent five messages and accepted five: its numbers mean nothing in this one.
        await using (var other = await ConnectAsync("?session=new&echo=exact"))
        {
            for (int seq = 1; seq <= 5; seq++)
            {
                await other.SendAsync($"s{seq} other {seq}");
                await AssertAnsweredAsync(other, seq, seq, $"other {seq}");
            }
        }
        var (id, socket) = await SessionWithOneMessageAsync();
        await socket.SendAsync("a5");
        Assert.Equal((WebSocketCloseStatus)4400, (await socket.ReceiveCloseAsync()).Status);
        await AssertUnchangedAsync(id);

        await using var again = await ConnectAsync($"?session={id}&cursor=0");
        Assert.Equal("m1 one", await again.ReceiveAsync());
        await again.SendAsync("s6 other's next");
        var (_, status, reason) = await again.ReceiveCloseAsync();
        Assert.Equal((WebSocketCloseStatus)4409, status);
        Assert.Contains("seq=2", reason);
        await AssertUnchangedAsync(id);
    }

    [Fact]
    public async Task A_session_closed_meanwhile_closes_the_socket_4410_with_the_reason()
    {
        await using var socket = await ConnectAsync("?session=new");
        Assert.Equal(HttpStatusCode.NoContent, (await _http.DeleteSessionAsync(socket.Id)).StatusCode);
        var (_, status, reason) = await socket.ReceiveCloseAsync();
        Assert.Equal((WebSocketCloseStatus)4410, status);
        Assert.StartsWith("The client closed the session (DELETE).", reason);
    }

    [Fact]
    public async Task Attaching_to_an_unknown_or_closed_session_or_with_a_bad_cursor_is_refused_before_the_upgrade()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await SessionSocketClient.RefusedAsync(app.KestrelAddress, "?session=nope")).Status);
        var (status, body) = await SessionSocketClient.RefusedAsync(app.KestrelAddress, $"?session={new string('A', 32)}");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Contains("GET /ws?session=new", body);

        var closed = await _http.OpenSessionAsync();
        await _http.DeleteSessionAsync(closed.Id);
        (status, body) = await SessionSocketClient.RefusedAsync(app.KestrelAddress, $"?session={closed.Id}");
        Assert.Equal(HttpStatusCode.Gone, status);
        Assert.Contains("The client closed the session (DELETE).", body);

        var open = await _http.OpenSessionAsync();
        foreach (var query in new[] { $"?session={open.Id}&cursor=x", $"?session={open.Id}&cursor=5", "?session=new&cursor=3", "?session=new&echo=bogus",
                     "?session=new&session=new", "?session=" })
            Assert.Equal(HttpStatusCode.BadRequest, (await SessionSocketClient.RefusedAsync(app.KestrelAddress, query)).Status);
    }

    // A socket session holding one reply (message 1, "one"), unacknowledged; its client's next seq is 2.
    private async Task<(string Id, SessionSocketClient Socket)> SessionWithOneMessageAsync()
    {
        var socket = await ConnectAsync("?session=new&echo=exact");
        await socket.SendAsync("s1 one");
        await AssertAnsweredAsync(socket, 1, 1, "one");
        return (socket.Id, socket);
    }

    // Nothing the refused frame named was done: message 1 is still queued and unacknowledged, the next seq is still 2.
    private async Task AssertUnchangedAsync(string id)
    {
        await using var socket = await ConnectAsync($"?session={id}");
        Assert.Equal(0, socket.Acked);
        Assert.Equal(2, socket.ExpectedSeq);
        Assert.Equal("m1 one", await socket.ReceiveAsync());
    }
}
