using PushCompare.Bench.Clients;

namespace PushCompare.BenchTests;

/// <summary>The echo scenario at small scale against the app the bench starts itself. No assertion on speed.</summary>
public sealed class EchoScenarioTests
{
    [Theory]
    [InlineData(32, 2, 6)]   // payload < 126: 2-byte header down, + 4-byte mask up (RFC 6455 §5.2)
    [InlineData(200, 4, 8)]  // 126..65535: 16-bit extended length
    public async Task WebSocket_closed_loop_receives_every_message_once_and_frames_cost_what_RFC_6455_says(int size, int headerDown, int headerUp)
    {
        var bench = (await BenchRun.StartAsync("echo", "-t", "websocket", "-c", "3", "-d", "1.5", "--warmup", "0.5", "-s", $"{size}")).Passed();
        var run = bench.Single;

        Assert.True(run.Totals.Received > 0);
        Assert.Equal(run.Totals.Sent, run.Totals.Received);
        Assert.Equal(0, run.Totals.Lost);
        Assert.Equal(0, run.Totals.Duplicates);
        Assert.Equal(3, run.ClientsConnected);

        var ws = Assert.IsType<PushCompare.Bench.Running.WebSocketAccounting>(run.WebSocket);
        Assert.Equal(3, ws.Connections);
        Assert.Equal(run.Totals.Received, ws.FramesDown.DataMessages);
        Assert.Equal(run.Totals.Sent, ws.FramesUp.DataMessages);
        Assert.Equal(headerDown, ws.HeaderBytesPerMessageDown);
        Assert.Equal(headerUp, ws.HeaderBytesPerMessageUp);
        Assert.Equal(size, ws.PayloadBytesPerMessageDown);
        Assert.Equal(size, ws.PayloadBytesPerMessageUp);
        Assert.Equal(0, ws.UnaccountedBytes);

        // Window bytes agree with the arithmetic too: counts and bytes are read a moment apart at each edge, while replies
        // keep coming (a busy box can deschedule the reader between the reads; the frame sizes themselves are exact above).
        long slack = Math.Max(2L * 3 * (size + headerUp), run.WindowTraffic.Down / 20);
        Assert.InRange(run.WindowTraffic.Down, run.Window.Received * (size + headerDown) - slack, run.Window.Received * (size + headerDown) + slack);
        Assert.InRange(run.WindowTraffic.Up, run.Window.Sent * (size + headerUp) - slack, run.Window.Sent * (size + headerUp) + slack);

        // Every reply in the window has a latency. Counts and histogram are read back to back at each edge, but a busy
        // box can deschedule the reader between the two reads for a scheduler slice while replies keep coming.
        Assert.NotNull(run.Latency);
        long tolerance = Math.Max(12, run.Window.Received / 20);
        Assert.InRange(run.Latency!.Count, run.Window.Received - tolerance, run.Window.Received + tolerance);
        Assert.NotNull(run.Server); // CPU and memory of the child process, read from /proc
        Assert.True(run.Server!.CpuSeconds > 0);
        Assert.True(run.Server.RssEndBytes > 0);
    }

    [Fact]
    public async Task Report_files_are_written_as_json_markdown_and_svg()
    {
        var bench = (await BenchRun.StartAsync("echo", "-t", "websocket", "-c", "1", "-d", "1", "--warmup", "0")).Passed();

        string md = File.ReadAllText(Path.Combine(bench.Directory, "echo.md"));
        Assert.Contains("## Runs", md);
        Assert.Contains("| pushcompare | websocket |", md);
        Assert.Contains("![chart](echo.svg)", md);
        string svg = File.ReadAllText(Path.Combine(bench.Directory, "echo.svg"));
        Assert.StartsWith("<svg xmlns=\"http://www.w3.org/2000/svg\"", svg);
        Assert.Contains("pushcompare websocket C=1", svg);
        Assert.Contains("Server CPU time per 1,000 round trips", bench.Output);
    }

    [Fact]
    public async Task WebSocket_open_loop_sends_on_schedule_and_every_reply_comes_back()
    {
        var bench = (await BenchRun.StartAsync("echo", "-t", "websocket", "-c", "3", "-d", "1.5", "--warmup", "0.5", "--rate", "150,300", "--all-steps")).Passed();

        Assert.Equal([150.0, 300.0], bench.Runs.Select(r => r.OfferedRate!.Value));
        foreach (var run in bench.Runs)
        {
            Assert.Equal(run.Totals.Sent, run.Totals.Received);
            Assert.True(run.Totals.Received > 0);
            Assert.NotNull(run.Held);
            // An open-loop client offers the rate whatever the replies do: over the whole run it sent what was due (at
            // least the asked warm-up and window's worth), and never more than its schedule allows for the time the loop
            // really ran (a loaded machine runs the warm-up longer than asked: 793 sends for 600 due once, at load 40).
            double due = run.OfferedRate!.Value * (0.5 + run.WindowSeconds);
            Assert.True(run.Totals.Sent >= 0.8 * due, $"{run.Totals.Sent} sent, {due:0} due");
            Assert.True(run.Totals.Sent <= run.OfferedRate!.Value * run.ClientLoopSeconds + 3, $"{run.Totals.Sent} sent in {run.ClientLoopSeconds:0.00} s of schedule");
        }
        Assert.Single(bench.Report!.Tables, t => t.Title.StartsWith("Highest offered rate held", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Long_polling_echo_round_trips_each_take_a_post_and_a_poll()
    {
        var bench = (await BenchRun.StartAsync("echo", "-t", "longpoll", "-c", "3", "-d", "1.5", "--warmup", "0.5")).Passed();
        var run = bench.Single;

        Assert.True(run.Totals.Received > 0);
        Assert.Equal(run.Totals.Sent, run.Totals.Received);
        Assert.Null(run.WebSocket);
        // One POST per message, at least one GET to fetch its reply, plus the session's opening POST.
        Assert.True(run.Totals.Requests >= 2 * run.Totals.Received + 3, $"{run.Totals.Requests} requests for {run.Totals.Received} round trips");
        Assert.True(run.RequestsPerMessage >= 1.9);
        Assert.True(run.HttpOverheadPerMessage > 0);
        Assert.True(run.BytesPerMessageUp > 32);
    }

    [Fact]
    public async Task Chromium_headers_add_exactly_what_Chromium_sends_per_request()
    {
        var bench = (await BenchRun.StartAsync("echo", "-t", "longpoll", "-c", "2", "-d", "1.5", "--warmup", "0.5", "--chromium-headers")).Passed();
        var plain = bench.Run("longpoll", headers: "minimal");
        var chromium = bench.Run("longpoll", headers: "chromium");

        string origin = "http://127.0.0.1:12345";
        static int Size((string Name, string Value)[] headers, string origin) =>
            headers.Sum(h => h.Name.Length + 2 + ChromiumHeaders.Expand(h.Value, origin).Length + 2);
        // Per round trip: one POST and one GET with Chromium's headers; the port's digits may differ by a few bytes.
        double expected = Size(ChromiumHeaders.FetchPost, origin) + Size(ChromiumHeaders.FetchGet, origin)
            + ChromiumHeaders.TextContentType.Length - "text/plain; charset=utf-8".Length;
        double extra = chromium.BytesPerMessageUp!.Value - plain.BytesPerMessageUp!.Value;
        // The two runs may differ in GETs per message (under load a held poll can come back empty, or carry two replies):
        // each GET more or less moves the bytes per message by at most one GET's headers.
        double getsApart = Math.Abs(chromium.RequestsPerMessage!.Value - plain.RequestsPerMessage!.Value);
        double slack = 0.1 * expected + getsApart * Size(ChromiumHeaders.FetchGet, origin);
        Assert.InRange(extra, expected - slack, expected + slack);
        Assert.Equal(chromium.Totals.Sent, chromium.Totals.Received);
    }
}
