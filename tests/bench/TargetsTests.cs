using PushCompare.Bench.Cli;
using PushCompare.Bench.Running;
using PushCompare.Bench.Transports;

namespace PushCompare.BenchTests;

/// <summary>Side-by-side runs: the Node ws peer in the same run, and app variants alternated over rounds.</summary>
public sealed class TargetsTests
{
    [Fact]
    public async Task Node_ws_peer_runs_the_same_scenario_with_the_same_client()
    {
        var bench = (await BenchRun.StartAsync("echo", "-t", "websocket", "-c", "2", "-d", "2", "--warmup", "0.5", "--peer", "node")).Passed();

        var ours = bench.Run("websocket");
        var peer = bench.Run("websocket", target: "node-ws");
        Assert.Equal("node-peer", peer.TargetKind);
        foreach (var run in new[] { ours, peer })
        {
            Assert.True(run.Totals.Received > 0);
            Assert.Equal(run.Totals.Sent, run.Totals.Received);
            Assert.Equal(2, run.WebSocket!.HeaderBytesPerMessageDown);
            Assert.Equal(6, run.WebSocket.HeaderBytesPerMessageUp);
            Assert.NotNull(run.Server); // the peer is a child process too, so its CPU is measured the same way
        }
        Assert.Contains(bench.Table("Server CPU time per 1,000 round trips").Rows, r => r[0] == "pushcompare" && r[^1].EndsWith('×'));
    }

    [Fact]
    public async Task Node_load_client_measures_both_servers_with_the_same_client()
    {
        var bench = (await BenchRun.StartAsync("echo", "--client", "node", "-c", "3", "-d", "2", "--warmup", "0.5", "--peer", "node")).Passed();

        foreach (var run in new[] { bench.Run("websocket", headers: "node"), bench.Run("websocket", target: "node-ws", headers: "node") })
        {
            Assert.Equal(3, run.ClientsConnected);
            Assert.True(run.Window.Received > 0);
            Assert.Equal(run.Totals.Sent, run.Totals.Received); // every message answered before the client closed
            Assert.Equal(run.Window.Received, run.Latency!.Count);
            // The client's socket bytes over the window: a 32-byte text message is 32 + 6 B up (masked) and 32 + 2 B down,
            // give or take the one message per connection in flight at each edge of the window.
            Assert.InRange(run.WindowTraffic.Up, 38 * (run.Window.Sent - 3), 38 * (run.Window.Sent + 3));
            Assert.InRange(run.WindowTraffic.Down, 34 * (run.Window.Received - 3), 34 * (run.Window.Received + 3));
            Assert.NotNull(run.Server);
            Assert.True(run.ClientCpuSeconds > 0);
        }
        Assert.Contains(bench.Table("Server CPU time per 1,000 round trips").Rows, r => r[0] == "pushcompare" && r[^1].EndsWith('×'));
    }

    [Fact]
    public async Task Node_peer_is_skipped_for_polling_not_failed()
    {
        var bench = (await BenchRun.StartAsync("echo", "-t", "longpoll", "-c", "1", "-d", "2", "--warmup", "0", "--peer", "node")).Passed();

        Assert.Equal("node-ws serves WebSocket only", bench.Run("longpoll", target: "node-ws").Skipped);
        Assert.Null(bench.Run("longpoll").Skipped);
    }

    [Fact]
    public async Task A_variant_app_is_started_with_its_settings_and_environment()
    {
        var settings = new BenchSettings
        {
            Scenario = "echo", Transports = [TransportCatalog.All[0]], Clients = [1], DurationSeconds = 1, WarmupSeconds = 0,
            ServerEnv = ["DOTNET_gcServer=1"],
            Variants = [new Variant("inline-off-wks", ["Performance:InlineSocketScheduling=false"], ["DOTNET_gcServer=0", "DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0"])],
        };
        var target = Assert.Single(BenchRunner.Targets(settings));

        await using var instance = await target.StartAsync(CancellationToken.None);
        // What the kernel holds for the started process: its arguments and its initial environment.
        var argv = (await File.ReadAllTextAsync($"/proc/{instance.Pid}/cmdline")).Split('\0');
        var environ = (await File.ReadAllTextAsync($"/proc/{instance.Pid}/environ")).Split('\0');
        Assert.Contains("--Performance:InlineSocketScheduling=false", argv);
        Assert.Contains("DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0", environ);
        Assert.Contains("DOTNET_gcServer=0", environ);            // the variant's value replaces the global one
        Assert.DoesNotContain("DOTNET_gcServer=1", environ);
    }

    [Fact]
    public async Task Variants_alternate_order_each_round_and_are_compared()
    {
        var bench = (await BenchRun.StartAsync("echo", "-t", "websocket", "-c", "1", "-d", "2", "--warmup", "0", "--rounds", "2",
            "--variant", "big=Messaging:MaxMessageBytes=65536", "--variant", "small=Messaging:MaxMessageBytes=4096")).Passed();

        Assert.Equal(["big", "small", "small", "big"], bench.Runs.Select(r => r.Target));
        Assert.Equal([1, 1, 2, 2], bench.Runs.Select(r => r.Round));
        var byTarget = bench.Table("By target");
        Assert.Equal(["big", "small"], byTarget.Rows.Select(r => r[0]));
        Assert.Equal("-", byTarget.Rows[0][^1]);      // the first target is the reference
        Assert.EndsWith("%", byTarget.Rows[1][^1]);   // the other's throughput cost relative to it
    }
}
