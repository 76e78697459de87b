using PushCompare.Bench.Reporting;

namespace PushCompare.BenchTests;

/// <summary>The Lubbers &amp; Greco table and the idle-memory scenario at small scale.</summary>
public sealed class LubbersAndIdleTests
{
    /// <summary>The table needs server push and wait=0: against a server without them the bench fails with its explanation.</summary>
    [Fact]
    public async Task Lubbers_table_puts_measured_bytes_beside_2010_and_extrapolates_100000_clients()
    {
        var bench = (await BenchRun.StartAsync("lubbers", "-c", "3", "-d", "2", "--warmup", "1", "--interval", "250",
            "--server-arg", "LongPolling:PollTimeout=00:00:02")).Passed();

        // "all" is what the app's registry lists, in its order.
        Assert.Equal(["websocket", "longpoll", "shortpoll", "sse"], bench.Runs.Select(r => r.Transport));
        var ws = bench.Run("websocket");
        Assert.Equal(2.0, LubbersTable.OverheadPerMessage(ws)); // exactly the frame header, as in 2010
        foreach (var run in bench.Runs) Assert.Equal(0, run.Totals.Lost);
        // SSE sits between the two: an event's fields and its chunk's framing per message, not a request and response.
        double sse = LubbersTable.OverheadPerMessage(bench.Run("sse", headers: "minimal"))!.Value;
        Assert.InRange(sse, 2.0, LubbersTable.OverheadPerMessage(bench.Run("longpoll"))!.Value);

        var table = bench.Table("Lubbers & Greco (2010)");
        var extrapolated = table.Rows.Where(r => r[^1].StartsWith("extrapolated from C=3", StringComparison.Ordinal)).ToList();
        Assert.Equal(4, extrapolated.Count);
        Assert.All(extrapolated, r => Assert.Equal("100,000", r[0]));
        // The 2010 column is the paper's arithmetic: 871 B per poll, 2 B per frame, 2^20-bit megabits.
        var wsRow = Assert.Single(extrapolated, r => r[1] == "websocket");
        Assert.Equal("2", wsRow[5]);
        Assert.Equal("6.10", wsRow[7]); // 100,000 clients × 4 msgs/s × 2 B × 8 / 2^20
        var pollRow = Assert.Single(extrapolated, r => r[1] == "longpoll");
        Assert.Equal("871", pollRow[5]);
        var sseRow = Assert.Single(extrapolated, r => r[1] == "sse");
        Assert.Equal("-", sseRow[5]); // the paper had no SSE figure
        Assert.Equal("-", sseRow[7]);
        var measuredSse = Assert.Single(table.Rows, r => r[1] == "sse" && r[^1] == "measured");
        Assert.Equal(Format.Bytes(LubbersTable.OverheadPerMessage(bench.Run("sse", headers: "minimal"))), measuredSse[4]);
    }

    /// <summary>--compression: the app is started with both compressions and the clients negotiate them.</summary>
    [Fact]
    public async Task Lubbers_with_compression_negotiates_permessage_deflate_and_brotli_and_says_so()
    {
        var bench = (await BenchRun.StartAsync("lubbers", "-t", "websocket,longpoll", "-c", "3", "-d", "2", "--warmup", "1", "--interval", "250",
            "--server-arg", "LongPolling:PollTimeout=00:00:02", "--compression")).Passed();

        var ws = bench.Run("websocket").WebSocket!;
        // Frames on the wire carry less than the ticks' text: the server compressed them, and the accounting stayed exact.
        Assert.True(ws.FramesDown.DataPayloadBytes < bench.Run("websocket").Totals.PayloadDown,
            $"{ws.FramesDown.DataPayloadBytes} frame payload bytes for {bench.Run("websocket").Totals.PayloadDown} bytes of ticks");
        foreach (var run in bench.Runs) Assert.Equal(0, run.Totals.Lost);
        var table = bench.Table("Lubbers & Greco (2010)");
        Assert.All(table.Rows, r => Assert.Equal("on", r[^2]));
    }

    [Fact]
    public async Task Idle_connections_held_polls_and_open_streams_are_charged_against_a_warm_baseline()
    {
        var bench = (await BenchRun.StartAsync("idle", "-t", "websocket,longpoll,sse", "-c", "20", "-d", "1", "--warmup", "1")).Passed();

        Assert.Equal(["websocket", "longpoll", "sse"], bench.Runs.Select(r => r.Transport));
        foreach (var run in bench.Runs)
        {
            Assert.Equal(20, run.ClientsConnected);
            Assert.Equal(0, run.Totals.Received);
            Assert.NotNull(run.Server);
            Assert.True(run.Server!.RssBaselineBytes > 0);
            Assert.Equal((double)(run.Server.RssEndBytes - run.Server.RssBaselineBytes!.Value) / 20, run.Server.RssPerConnectionBytes);
        }
        // Only the 20 session POSTs completed: each session's GET was held by the server until the run ended.
        Assert.Equal(20, bench.Run("longpoll").Totals.Requests);
        // SSE: each session's POST and its stream's GET, then its DELETE after the window; no stream was cut.
        var sse = bench.Run("sse", headers: "minimal");
        Assert.Equal(3 * 20, sse.Totals.Requests);
        Assert.Equal(0, sse.Totals.Reconnects);
        Assert.Equal(20, sse.Sse!.Streams);
        Assert.Contains("Server memory per idle connection", bench.Output);
    }
}
