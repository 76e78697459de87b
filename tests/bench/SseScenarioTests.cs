using PushCompare.Bench.Clients;

namespace PushCompare.BenchTests;

/// <summary>
/// Every scenario over SSE at small scale against the app, and the client's reconnect and exactly-once checks against
/// a scripted server that cuts or repeats. Consistency only, never speed.
/// </summary>
public sealed class SseScenarioTests
{
    [Fact]
    public async Task Push_delivers_every_tick_once_and_every_stream_byte_is_accounted_for()
    {
        var bench = (await BenchRun.StartAsync("push", "-t", "sse", "-c", "3", "-d", "1.5", "--warmup", "0.5", "--interval", "100")).Passed();
        var run = bench.Single;

        Assert.Equal("minimal", run.Headers);
        Assert.True(run.Window.Received > 0);
        Assert.Equal(0, run.Totals.Lost);
        Assert.Equal(0, run.Totals.Duplicates);
        Assert.Equal(0, run.Totals.Reconnects);
        Assert.NotNull(run.Latency);

        var sse = run.Sse!;
        Assert.Equal(3, sse.Clients);
        Assert.Equal(3, sse.Streams);
        Assert.Equal(0, sse.UnaccountedBytes);
        Assert.Equal(0, sse.Counts.PendingBytes);
        Assert.Equal(run.Totals.Received, sse.Counts.MessageEvents);
        Assert.Equal(run.Totals.PayloadDown, sse.Counts.PayloadBytes);
        Assert.True(sse.Counts.OtherEvents >= 3); // each stream opens with a heartbeat, which is not a message
        // "data: " + "\nid: N\n\n" around each tick: 14 B for ids 1-9, 15 B for 10-99 (a run this short stays below 100).
        Assert.InRange(sse.EventFramingBytesPerMessage!.Value, 14, 15);
        // The HTTP overhead per message is the event's framing, its chunk's and the (rare) requests: tens of bytes.
        Assert.InRange(run.HttpOverheadPerMessage!.Value, sse.EventFramingBytesPerMessage.Value, 700);
        Assert.Contains("SSE bytes, whole streams (exact)", bench.Output);
    }

    [Fact]
    public async Task A_push_only_client_acknowledges_so_a_session_outlives_its_backlog_limit()
    {
        // 100 ticks a second against a limit of 150 unacknowledged: without an ack every 100 events each session
        // would close (410) within 1.5 s; this run delivers ~400 per client, and still over 150 when a loaded machine's
        // timer makes ticks at a third of the pace asked (the bench judges delivery by the pace the server stamped).
        var bench = (await BenchRun.StartAsync("push", "-t", "sse", "-c", "2", "-d", "4", "--warmup", "0.5", "--interval", "10",
            "--server-arg", "Sessions:MaxBacklogMessages=150")).Passed();
        var run = bench.Single;

        Assert.True(run.Totals.Received > 2 * 150, $"{run.Totals.Received} ticks");
        Assert.Equal(0, run.Totals.Lost);
        // Requests: POST /sse, GET, the DELETE, and the acks between them.
        long acks = run.Totals.Requests - 3 * 2;
        Assert.InRange(acks, run.Totals.Received / 100 - 2, run.Totals.Received / 100 + 2);
    }

    [Fact]
    public async Task Closed_loop_echo_gets_every_reply_once_over_the_stream()
    {
        var bench = (await BenchRun.StartAsync("echo", "-t", "sse", "-c", "3", "-d", "1.5", "--warmup", "0.5")).Passed();
        var run = bench.Single;

        Assert.True(run.Totals.Received > 0);
        Assert.Equal(run.Totals.Sent, run.Totals.Received);
        Assert.Equal(0, run.Totals.Lost);
        Assert.Equal(0, run.Totals.Duplicates);
        Assert.Equal(run.Totals.Received, run.Sse!.Counts.MessageEvents);
        Assert.Equal(0, run.Sse.UnaccountedBytes);
        Assert.Equal(32, run.Sse.PayloadBytesPerMessage);
        // One POST per message; the opening POST, the GET and the DELETE are all the rest.
        Assert.Equal(run.Totals.Sent + 3 * 3, run.Totals.Requests);
        Assert.True(run.HttpOverheadPerMessage > 0);
    }

    [Fact]
    public async Task Open_loop_echo_sends_on_schedule_and_every_reply_comes_back()
    {
        var bench = (await BenchRun.StartAsync("echo", "-t", "sse", "-c", "2", "-d", "1.5", "--warmup", "0.5", "--rate", "100", "--all-steps")).Passed();
        var run = bench.Single;

        Assert.Equal(run.Totals.Sent, run.Totals.Received);
        Assert.Equal(0, run.Totals.Lost);
        // The schedule asks 100 a second: at least most of what the nominal warm-up and window hold (a loaded machine only
        // runs them longer), and never more than the time the clients really ran allows (no send ahead of its schedule;
        // each of the 2 clients' first message is due at the start).
        Assert.True(run.Totals.Sent >= 0.8 * 100 * (0.5 + run.WindowSeconds), $"{run.Totals.Sent} sent in {run.WindowSeconds:0.00} s");
        Assert.True(run.Totals.Sent <= 100 * run.ClientLoopSeconds + 2, $"{run.Totals.Sent} sent in {run.ClientLoopSeconds:0.00} s of schedule");
        Assert.NotNull(run.Held);
    }

    [Fact]
    public async Task Idle_streams_ignore_heartbeats_and_receive_no_message()
    {
        var bench = (await BenchRun.StartAsync("idle", "-t", "sse", "-c", "5", "-d", "1.5", "--warmup", "0.5",
            "--server-arg", "ServerSentEvents:HeartbeatInterval=00:00:00.100")).Passed();
        var run = bench.Single;

        Assert.Equal(5, run.ClientsConnected);
        Assert.Equal(0, run.Totals.Received);
        Assert.Equal(0, run.Sse!.Counts.MessageEvents);
        Assert.True(run.Sse.Counts.OtherEvents > 5 * 5, $"{run.Sse.Counts.OtherEvents} heartbeats"); // ~10 a second per stream
        Assert.Equal(0, run.Sse.UnaccountedBytes);
        Assert.NotNull(run.Server!.RssPerConnectionBytes);
    }

    [Fact]
    public async Task Chromium_headers_add_exactly_what_Chromium_sends_per_message()
    {
        var bench = (await BenchRun.StartAsync("echo", "-t", "sse", "-c", "2", "-d", "1.5", "--warmup", "0.5", "--chromium-headers")).Passed();
        var raw = bench.Run("sse", headers: "minimal");
        var chromium = bench.Run("sse", headers: "chromium");

        string origin = "http://127.0.0.1:12345";
        static int Size((string Name, string Value)[] headers, string origin) =>
            headers.Sum(h => h.Name.Length + 2 + ChromiumHeaders.Expand(h.Value, origin).Length + 2);
        // Per round trip one fetch() POST with Chromium's headers; the port's digits may differ by a few bytes.
        double expected = Size(ChromiumHeaders.FetchPost, origin) + ChromiumHeaders.TextContentType.Length - "text/plain; charset=utf-8".Length;
        double extra = chromium.BytesPerMessageUp!.Value - raw.BytesPerMessageUp!.Value;
        Assert.InRange(extra, 0.9 * expected, 1.1 * expected);
        Assert.Equal(chromium.Totals.Sent, chromium.Totals.Received);
        // The stream's GET carries EventSource's headers: the app answers it the same, so only the request grew.
        Assert.Equal(raw.Sse!.HeadBytesDown / raw.Sse.Streams, chromium.Sse!.HeadBytesDown / chromium.Sse.Streams);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_cut_stream_reconnects_with_Last_Event_ID_and_loses_and_repeats_nothing(bool midEvent)
    {
        await using var server = await ScriptedSseServer.StartAsync(new SseScript { CutAfter = 5, CutMidEvent = midEvent });
        var bench = (await BenchRun.StartAsync("push", "--url", server.Url, "-t", "sse", "-c", "2", "-d", "1", "--warmup", "0.5",
            "--interval", "50", "--drain", "2")).Passed();
        var run = bench.Single;

        Assert.Equal(2, run.Totals.Reconnects);
        Assert.Equal(0, run.Totals.Lost);
        Assert.Equal(0, run.Totals.Duplicates);
        Assert.True(run.Totals.Received > 10, $"{run.Totals.Received} ticks");
        // Each session's first stream had no Last-Event-ID; its second resumed after the 5 ticks the client had whole.
        Assert.Equal([null, null, "5", "5"], server.LastEventIds.Order());
        // Only the resumed streams ended with a last chunk (a cut one's end is half-read), so only they are accounted.
        Assert.Equal(2, run.Sse!.Streams);
        Assert.Equal(0, run.Sse.Clients);
        Assert.Equal(0, run.Sse.UnaccountedBytes);
    }

    [Fact]
    public async Task A_server_that_repeats_an_event_after_a_reconnect_fails_the_run()
    {
        await using var server = await ScriptedSseServer.StartAsync(new SseScript { CutAfter = 3, RepeatOnResume = true });
        var bench = await BenchRun.StartAsync("push", "--url", server.Url, "-t", "sse", "-c", "1", "-d", "1", "--warmup", "0.3",
            "--interval", "50", "--drain", "2");

        Assert.Equal(1, bench.ExitCode);
        var run = bench.Single;
        Assert.Equal(1, run.Totals.Duplicates);
        Assert.Contains(run.Problems, p => p.Contains("delivered twice", StringComparison.Ordinal));
        Assert.Contains(run.ErrorSamples, e => e.Contains("event id arrived twice", StringComparison.Ordinal));
    }
}
