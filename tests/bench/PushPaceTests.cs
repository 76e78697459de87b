namespace PushCompare.BenchTests;

/// <summary>
/// A push run judges delivery by the pace at which the server stamped its ticks: a server whose timer falls behind
/// (a loaded machine) delivers fewer ticks than asked and that is not a delivery fault, while a stream that stalls still
/// fails the run, because the ticks it delivered before the stall kept the pace.
/// </summary>
public sealed class PushPaceTests
{
    [Fact]
    public async Task A_server_ticking_at_a_third_of_the_pace_asked_passes_with_every_tick_it_made()
    {
        await using var server = new EagerPushServer(slower: 3).Start();
        var bench = (await BenchRun.StartAsync("push", "-t", "websocket", "--url", server.Url, "-c", "2", "-d", "1.5", "--warmup", "0",
            "--interval", "20", "--drain", "2")).Passed();

        Assert.Equal(0, bench.Single.Totals.Lost);
        Assert.True(bench.Single.Window.Received > 0);
    }

    [Fact]
    public async Task A_stream_that_stalls_with_its_connection_open_fails_the_run()
    {
        await using var server = new EagerPushServer(stallAfter: 15).Start();
        var bench = await BenchRun.StartAsync("push", "-t", "websocket", "--url", server.Url, "-c", "1", "-d", "2", "--warmup", "0",
            "--interval", "20", "--drain", "2");

        Assert.Equal(1, bench.ExitCode);
        Assert.Contains("ticks arrived where", bench.Output);
        Assert.Equal(0, bench.Single.Totals.Lost); // nothing skipped: only the sequence's end was missing
    }
}
