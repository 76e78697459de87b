using PushCompare.Bench.Running;

namespace PushCompare.BenchTests;

/// <summary>
/// The <c>switch</c> scenario: one session moved between transports, each reader killed with a message in flight. The
/// counts are exact (the plan fixes how often each pair switches, each reader processes the same number of messages);
/// times have lower bounds only.
/// </summary>
public sealed class SwitchTests
{
    [Fact]
    public async Task Every_pair_of_transports_switches_as_planned_and_the_session_loses_and_repeats_nothing()
    {
        string[] transports = ["websocket", "sse", "longpoll"];
        var bench = (await BenchRun.StartAsync("switch", "-t", string.Join(',', transports), "-c", "1", "--interval", "10")).Passed();

        var plan = SwitchRun.Plan(transports.Length, 1);
        Assert.Equal(transports.Length * transports.Length, bench.Runs.Count);
        foreach (var run in bench.Runs)
        {
            var (from, to) = Pair(run.Transport, transports);
            long planned = plan.Zip(plan.Skip(1)).Count(p => p.First == from && p.Second == to);
            Assert.Equal(planned, run.Totals.Received);
            Assert.Equal(planned, run.Latency!.Count);
            Assert.Equal(0, run.Totals.Lost);
            Assert.Equal(0, run.Totals.Duplicates);
            // Every reader, the last included, processed its messages before it was killed: the in-flight one is the next's.
            Assert.Equal(plan.Count * SwitchRun.MessagesPerReader, run.Window.Received);
        }
        Assert.Contains("Transport switch: death to next message", bench.Output);
    }

    [Fact]
    public async Task Over_a_50_ms_link_a_switch_takes_at_least_a_new_connection_and_its_request()
    {
        var bench = (await BenchRun.StartAsync("switch", "-t", "websocket,sse", "-c", "1", "--interval", "10", "--rtt", "50ms")).Passed();

        // The TCP handshake, then the upgrade, the stream's GET or the poll: the message held for the session comes back with its answer.
        foreach (var run in bench.Runs) Assert.True(run.Latency!.MinMs >= 2 * 50, $"{run.Transport}: {run.Latency.MinMs} ms over a 50 ms link");
    }

    [Fact]
    public async Task Short_polling_picks_up_the_session_at_its_first_poll()
    {
        var bench = (await BenchRun.StartAsync("switch", "-t", "shortpoll,websocket", "-c", "1", "--interval", "10", "--poll-interval", "50")).Passed();

        Assert.Equal(4, bench.Runs.Count);
        Assert.All(bench.Runs, r => Assert.Equal((0L, 0L), (r.Totals.Lost, r.Totals.Duplicates)));
    }

    [Fact]
    public async Task Options_that_have_no_meaning_for_one_session_are_refused()
    {
        var bench = await BenchRun.StartAsync("switch", "--chromium-headers");

        Assert.Equal(2, bench.ExitCode);
        Assert.Contains("drop --chromium-headers", bench.Output);
    }

    private static (int From, int To) Pair(string pair, string[] transports)
    {
        string[] ids = pair.Split('→');
        return (Array.IndexOf(transports, ids[0]), Array.IndexOf(transports, ids[1]));
    }
}
