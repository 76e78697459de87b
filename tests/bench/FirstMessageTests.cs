namespace PushCompare.BenchTests;

/// <summary>
/// The <c>first-message</c> scenario: from nothing to the first reply, one client after another. Counts and bytes are
/// exact; over a link, each transport takes at least the round trips its handshakes need (lower bounds only).
/// </summary>
public sealed class FirstMessageTests
{
    [Fact]
    public async Task A_WebSocket_first_message_costs_one_connection_its_upgrade_and_two_frames()
    {
        var bench = (await BenchRun.StartAsync("first-message", "-t", "websocket", "-c", "3")).Passed();
        var run = bench.Single;
        var ws = run.WebSocket!;

        Assert.Equal(3, run.Totals.Received);
        Assert.Equal(3, run.Latency!.Count);
        Assert.Equal(0, run.Totals.Lost);
        Assert.Equal(3, run.WindowTraffic.Connections);
        Assert.Equal(0, run.Window.Requests);
        // Up to the reply: the upgrade both ways, then one 32-byte message up (6-byte masked header) and its echo down (2).
        Assert.Equal(3, ws.Connections);
        Assert.Equal(ws.HandshakeBytesUp + 3 * (6 + 32), run.WindowTraffic.Up);
        Assert.Equal(ws.HandshakeBytesDown + 3 * (2 + 32), run.WindowTraffic.Down);
        Assert.Contains("Time to first message (link: loopback", bench.Output);
    }

    [Theory]
    // WebSocket: TCP handshake, upgrade, echo. Long polling: TCP + the session's POST, then the send opens a second
    // connection (TCP) and its reply comes back on the held poll. SSE: as long polling, plus the stream's GET first.
    [InlineData("websocket", 3, 1, 0)]
    [InlineData("longpoll", 4, 2, 3)]
    [InlineData("sse", 5, 2, 3)]
    public async Task Over_a_50_ms_link_a_first_message_takes_the_round_trips_its_handshakes_need(string transport, int roundTrips, int connections, int requests)
    {
        var bench = (await BenchRun.StartAsync("first-message", "-t", transport, "-c", "2", "--rtt", "50ms")).Passed();
        var run = bench.Single;

        Assert.Equal(2, run.Totals.Received);
        Assert.Equal(0, run.Totals.Lost);
        Assert.True(run.Latency!.MinMs >= roundTrips * 50, $"{transport}: fastest first message {run.Latency.MinMs} ms, {roundTrips} round trips of 50 ms needed");
        Assert.Equal(2 * connections, run.WindowTraffic.Connections);
        Assert.Equal(2 * requests, run.Window.Requests);
    }

    [Fact]
    public async Task Options_of_a_measurement_window_are_not_offered()
    {
        var bench = await BenchRun.StartAsync("first-message", "--help");

        Assert.Equal(0, bench.ExitCode);
        Assert.Contains("--link", bench.Output);
        Assert.DoesNotContain("--duration", bench.Output);
        Assert.DoesNotContain("--warmup", bench.Output);
    }
}
