namespace PushCompare.BenchTests;

/// <summary>
/// The push scenario at small scale. These need the server's push (<c>/ws?push=T</c>, <c>POST /poll?push=T</c>) and,
/// for short polling, <c>GET /poll/{id}?wait=0</c>: until the server has them they fail with the bench's own
/// explanation ("does the server support push ...?"), which is the point of keeping them.
/// </summary>
public sealed class PushScenarioTests
{
    [Fact]
    public async Task WebSocket_push_delivers_every_tick_once_with_a_two_byte_frame_header()
    {
        var bench = (await BenchRun.StartAsync("push", "-t", "websocket", "-c", "3", "-d", "1.5", "--warmup", "0.5", "--interval", "100")).Passed();
        var run = bench.Single;

        Assert.True(run.Totals.Received > 0);
        Assert.Equal(0, run.Totals.Lost);
        Assert.Equal(0, run.Totals.Duplicates);
        var ws = run.WebSocket!;
        Assert.Equal(run.Totals.Received, ws.FramesDown.DataMessages);
        Assert.Equal(2 * ws.FramesDown.DataMessages, ws.FramesDown.DataHeaderBytes);
        Assert.Equal(0, ws.FramesUp.DataMessages); // a push client sends nothing
        Assert.Equal(0, ws.UnaccountedBytes);
        Assert.Null(run.RequestsPerMessage);
        Assert.NotNull(run.Latency);
    }

    [Fact]
    public async Task Long_polling_push_takes_one_request_per_delivered_message()
    {
        var bench = (await BenchRun.StartAsync("push", "-t", "longpoll", "-c", "3", "-d", "1.5", "--warmup", "0.5", "--interval", "200",
            "--server-arg", "LongPolling:PollTimeout=00:00:10")).Passed();
        var run = bench.Single;

        Assert.True(run.Window.Received > 0);
        Assert.Equal(0, run.Totals.Lost);
        Assert.Equal(0, run.Totals.Duplicates);
        Assert.Equal(0, run.Window.EmptyPolls); // with ticks every 200 ms no poll waits out a 10 s timeout
        // At most one GET per tick (no poll came back empty, so every GET carried at least one): a tick that arrives while
        // its client is between polls rides with the next one, so fewer requests; on a quiet box about one in ten, on a
        // loaded one (a client descheduled for several ticks) half or more. Short polling, below, asks more than once.
        Assert.InRange(run.RequestsPerMessage!.Value, double.Epsilon, 1.0);
        Assert.True(run.HttpOverheadPerMessage > 0);
    }

    [Fact]
    public async Task Short_polling_push_asks_more_often_than_messages_arrive()
    {
        var bench = (await BenchRun.StartAsync("push", "-t", "shortpoll", "-c", "3", "-d", "2", "--warmup", "0.5", "--interval", "500",
            "--poll-interval", "100", "--server-arg", "LongPolling:PollTimeout=00:00:01")).Passed();
        var run = bench.Single;

        Assert.True(run.Window.Received > 0);
        Assert.Equal(0, run.Totals.Lost);
        Assert.True(run.RequestsPerMessage >= 1, $"requests per message {run.RequestsPerMessage}");
        Assert.True(run.Window.EmptyPolls > 0); // polls every 100 ms for a tick every 500 ms mostly find nothing
    }
}
