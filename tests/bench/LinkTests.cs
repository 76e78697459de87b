namespace PushCompare.BenchTests;

/// <summary>The bench over an emulated link (<c>--link</c>, <c>--rtt</c>...): every reply takes at least the link's round trip.
/// Lower bounds only: a loaded machine is only ever slower.</summary>
public sealed class LinkTests
{
    [Theory]
    [InlineData("websocket")]
    [InlineData("longpoll")]
    [InlineData("sse")]
    public async Task An_echo_over_a_50_ms_link_takes_at_least_50_ms_and_nothing_is_lost(string transport)
    {
        var bench = (await BenchRun.StartAsync("echo", "-t", transport, "-c", "2", "-d", "1.5", "--warmup", "0.5", "--rtt", "50ms")).Passed();
        var run = bench.Single;

        Assert.True(run.Totals.Received > 0);
        Assert.Equal(0, run.Totals.Lost);
        Assert.NotNull(run.Latency);
        Assert.True(run.Latency!.P50Ms >= 50, $"{transport}: median echo {run.Latency.P50Ms} ms over a 50 ms link");
        Assert.Contains("custom: 50 ms round trip", bench.Report!.Settings.LinkText);
    }

    [Fact]
    public async Task A_WebSocket_over_HTTP2_and_TLS_over_the_4g_profile_takes_at_least_its_round_trip()
    {
        var bench = (await BenchRun.StartAsync("echo", "-t", "websocket", "-c", "1", "-d", "1", "--warmup", "0.5", "--link", "4g",
            "--protocol", "h2", "--tls")).Passed();

        Assert.True(bench.Single.Latency!.P50Ms >= 60, $"median echo {bench.Single.Latency.P50Ms} ms over 4g");
    }

    [Fact]
    public async Task A_burst_over_a_50_ms_link_comes_back_whole_on_a_WebSocket_while_polling_sends_one_message_a_round_trip()
    {
        // 100 messages a second per client, five per round trip: a WebSocket pipelines them; a polling client has one
        // POST in flight (the protocol's rule), each at least a round trip, however many are queued behind it.
        var bench = (await BenchRun.StartAsync("echo", "-t", "websocket,longpoll", "-c", "2", "-d", "1.5", "--warmup", "0.5", "--rtt", "50ms",
            "--rate", "200", "--all-steps")).Passed();
        var ws = bench.Run("websocket");
        var poll = bench.Run("longpoll");

        Assert.Equal(ws.Totals.Sent, ws.Totals.Received);
        Assert.Equal(0, ws.Totals.Lost);
        Assert.True(ws.Latency!.MinMs >= 50, $"fastest WebSocket reply {ws.Latency.MinMs} ms over a 50 ms link");
        Assert.Equal(poll.Totals.Sent, poll.Totals.Received);
        Assert.True(poll.Totals.Sent <= 2 * (poll.ClientLoopSeconds / 0.050 + 1), $"{poll.Totals.Sent} POSTs in {poll.ClientLoopSeconds:0.00} s of 50 ms round trips");
        Assert.False(poll.Held);
    }
}
