using System.CommandLine;
using System.Net.Sockets;
using System.Text;
using PushCompare.Bench;
using PushCompare.Bench.Cli;
using PushCompare.Bench.Metrics;
using PushCompare.Bench.Running;
using PushCompare.Bench.Targets;
using PushCompare.Hosting;

namespace PushCompare.BenchTests;

/// <summary>
/// The cluster benchmark, <c>--cluster</c>: the app alone against a local cluster (private Redis, instances, gateway)
/// in one invocation, with Redis's commands and bytes per delivered message read from INFO.
/// </summary>
public sealed class ClusterTests
{
    [Theory]
    [InlineData("--cluster 0", "--cluster must be at least 1 (the instances behind the gateway), not 0")]
    [InlineData("--cluster -2", "--cluster must be at least 1 (the instances behind the gateway), not -2")]
    [InlineData("--cluster three", "--cluster 'three' is not a number of instances")]
    [InlineData("--cluster --peer node", "--peer node cannot be added to it")]
    [InlineData("--cluster --url http://127.0.0.1:1", "it cannot be combined with --url")]
    [InlineData("--cluster --variant a --variant b=X=1", "it cannot be combined with --variant")]
    [InlineData("--cluster --tls", "the gateway listens on plain http:// only")]
    [InlineData("--cluster 2 --protocol h2", "the gateway listens on plain http:// only")]
    [InlineData("--cluster -t websocket --client node", "--cluster needs the bench's own client")]
    [InlineData("--gateways 2", "--gateways applies to --cluster only")]
    [InlineData("--cluster --gateways 0", "--gateways must be at least 1, not 0")]
    public async Task Bad_cluster_combinations_are_refused_before_anything_starts(string options, string message)
    {
        var output = new StringWriter();
        int exit = await BenchApp.RunAsync(["echo", .. options.Split(' '), "-c", "1", "-d", "1", "--no-progress"], output);

        Assert.Equal(2, exit);
        Assert.Contains(message, output.ToString());
        Assert.DoesNotContain("PushCompare bench:", output.ToString()); // the banner of a started invocation
    }

    [Fact]
    public async Task Cluster_without_a_number_is_three_instances_and_runs_beside_the_app_alone()
    {
        var plain = await ParseAsync("push", "--cluster", "-c", "5", "--server-arg", "LongPolling:PollTimeout=00:00:05");
        Assert.Equal(3, plain.Cluster);
        Assert.Equal([5], plain.Clients); // "-c" was not taken for --cluster's number
        Assert.Equal(2, (await ParseAsync("push", "--cluster", "2")).Cluster);
        Assert.Null((await ParseAsync("push")).Cluster);

        var targets = BenchRunner.Targets(plain);
        Assert.Equal(["pushcompare", "cluster-3"], targets.Select(t => t.Name)); // the app alone first: the reference
        var cluster = Assert.IsType<ClusterTarget>(targets[1]);
        Assert.Equal((3, 1, "cluster"), (cluster.Instances, cluster.Gateways, cluster.Kind));
        // Every instance gets what the app alone gets: no connect limit (behind the gateway every client is 127.0.0.1), the user's settings.
        Assert.Equal([BenchRunner.UnlimitedConnects, "LongPolling:PollTimeout=00:00:05"], cluster.ServerArgs);
        Assert.Equal(((AppTarget)targets[0]).ServerArgs, cluster.ServerArgs);
    }

    [Fact]
    public void Ten_thousand_clients_through_one_gateway_are_refused_where_its_file_descriptors_cannot_hold_them()
    {
        // Each proxied connection costs the gateway two descriptors (and 10% for its pools): 10,000 push clients need ~22,400 in one gateway.
        var push = Settings("push", clients: 10_000, gateways: 1);
        var refused = Assert.Throws<FormatException>(() => Commands.CheckCluster(push, "push", openFilesLimit: 20_000));
        Assert.Contains("about 22,400 per gateway here, over this process's limit of 20,000 open files (ulimit -n)", refused.Message);
        Assert.Contains("--gateways 2", refused.Message);

        Commands.CheckCluster(push with { Gateways = 2 }, "push", openFilesLimit: 20_000); // 11,400 each: room
        Commands.CheckCluster(push, "push", openFilesLimit: 65_536);
        Commands.CheckCluster(push, "push", openFilesLimit: null); // unknown: the run finds out

        // Polling echo holds a poll and a send per client: twice the connections.
        var echo = Settings("echo", clients: 10_000, gateways: 2) with { RequestedTransports = ["longpoll"] };
        Assert.Contains("--gateways 3", Assert.Throws<FormatException>(() => Commands.CheckCluster(echo, "echo", openFilesLimit: 20_000)).Message);
        Commands.CheckCluster(echo with { RequestedTransports = ["websocket"] }, "echo", openFilesLimit: 20_000);
    }

    /// <summary>What Redis 7.0.15 answered to <c>INFO stats commandstats</c> after CLIENT SETNAME, SCRIPT LOAD, three EVALSHA (each an HSET and a PUBLISH), a PUBLISH and a PING.</summary>
    private const string RealInfo = """
        # Stats
        total_connections_received:1
        total_commands_processed:13
        instantaneous_ops_per_sec:8
        total_net_input_bytes:478
        total_net_output_bytes:75
        total_net_repl_input_bytes:0
        total_net_repl_output_bytes:0
        instantaneous_input_kbps:0.26
        instantaneous_output_kbps:0.04
        instantaneous_input_repl_kbps:0.00
        instantaneous_output_repl_kbps:0.00
        rejected_connections:0
        sync_full:0
        sync_partial_ok:0
        sync_partial_err:0
        expired_keys:0
        expired_stale_perc:0.00
        expired_time_cap_reached_count:0
        expire_cycle_cpu_milliseconds:0
        evicted_keys:0
        evicted_clients:0
        total_eviction_exceeded_time:0
        current_eviction_exceeded_time:0
        keyspace_hits:0
        keyspace_misses:0
        pubsub_channels:0
        pubsub_patterns:0
        pubsubshard_channels:0
        latest_fork_usec:0
        total_forks:0
        migrate_cached_sockets:0
        slave_expires_tracked_keys:0
        active_defrag_hits:0
        active_defrag_misses:0
        active_defrag_key_hits:0
        active_defrag_key_misses:0
        total_active_defrag_time:0
        current_active_defrag_time:0
        tracking_total_keys:0
        tracking_total_items:0
        tracking_total_prefixes:0
        unexpected_error_replies:0
        total_error_replies:0
        dump_payload_sanitizations:0
        total_reads_processed:8
        total_writes_processed:7
        io_threaded_reads_processed:0
        io_threaded_writes_processed:0
        reply_buffer_shrinks:1
        reply_buffer_expands:0

        # Commandstats
        cmdstat_script|load:calls=1,usec=49,usec_per_call=49.00,rejected_calls=0,failed_calls=0
        cmdstat_ping:calls=1,usec=2,usec_per_call=2.00,rejected_calls=0,failed_calls=0
        cmdstat_publish:calls=4,usec=7,usec_per_call=1.75,rejected_calls=0,failed_calls=0
        cmdstat_client|setname:calls=1,usec=6,usec_per_call=6.00,rejected_calls=0,failed_calls=0
        cmdstat_evalsha:calls=3,usec=163,usec_per_call=54.33,rejected_calls=0,failed_calls=0
        cmdstat_hset:calls=3,usec=45,usec_per_call=15.00,rejected_calls=0,failed_calls=0

        """;

    [Theory]
    [InlineData("\r\n")] // as Redis sends it
    [InlineData("\n")]
    public void Real_INFO_text_gives_every_commands_calls_and_the_byte_totals(string lineEnd)
    {
        var info = RedisInfo.Parse(RealInfo.ReplaceLineEndings(lineEnd));

        Assert.Equal(478, info.NetInputBytes);
        Assert.Equal(75, info.NetOutputBytes);
        Assert.Equal(new Dictionary<string, long>
        {
            ["script|load"] = 1, ["ping"] = 1, ["publish"] = 4, ["client|setname"] = 1, ["evalsha"] = 3, ["hset"] = 3,
        }, info.Calls);
    }

    [Fact]
    public void INFO_text_without_the_byte_totals_is_refused_and_a_bad_count_is_named()
    {
        Assert.Contains("no total_net_input_bytes", Assert.Throws<FormatException>(() => RedisInfo.Parse("# Commandstats\r\ncmdstat_ping:calls=1\r\n")).Message);
        Assert.Contains("'cmdstat_ping:calls=x,usec=1'", Assert.Throws<FormatException>(() =>
            RedisInfo.Parse("total_net_input_bytes:1\r\ntotal_net_output_bytes:2\r\ncmdstat_ping:calls=x,usec=1\r\n")).Message);
    }

    [Fact]
    public void The_cost_between_two_readings_takes_out_the_first_readings_own_INFO_call_and_bytes()
    {
        var before = new RedisReading(new RedisInfo(new Dictionary<string, long> { ["evalsha"] = 10, ["info"] = 4 }, 1_000, 5_000), RequestBytes: 40, ReplyBytes: 1_900);
        var after = new RedisReading(new RedisInfo(new Dictionary<string, long> { ["evalsha"] = 30, ["publish"] = 20, ["info"] = 5 }, 3_040, 9_900), RequestBytes: 40, ReplyBytes: 1_950);

        var cost = RedisCost.Between(before, after, messages: 20, seconds: 2);

        Assert.Equal([new RedisCommandCalls("evalsha", 20), new RedisCommandCalls("publish", 20)], cost.ByCommand); // the one INFO was the bench's
        Assert.Equal(40, cost.Commands);
        Assert.Equal(2_000, cost.BytesIn);   // 3,040 − 1,000 − the second request (read before it was counted)
        Assert.Equal(3_000, cost.BytesOut);  // 9,900 − 5,000 − the first reply (written after it was counted)
        Assert.Equal([2.0, 1.0, 1.0, 100.0, 150.0, 20.0], new[] { cost.CommandsPerMessage, cost.ScriptsPerMessage, cost.PublishesPerMessage,
            cost.BytesInPerMessage, cost.BytesOutPerMessage, cost.CommandsPerSecond }.Select(v => v!.Value));
    }

    [Fact]
    public async Task Against_a_real_Redis_the_reading_costs_nothing_and_other_clients_commands_and_bytes_are_counted_exactly()
    {
        await using var redis = await RedisProcess.StartAsync(CancellationToken.None);
        await using var reader = await RedisInfoReader.ConnectAsync(redis.Address, CancellationToken.None);

        // Nothing else happens between two readings: nothing is counted, the reading's own cost included.
        var quiet = RedisCost.Between(await reader.ReadAsync(CancellationToken.None), await reader.ReadAsync(CancellationToken.None), 1, 1);
        Assert.Equal((0, 0, 0), (quiet.Commands, quiet.BytesIn, quiet.BytesOut));
        Assert.Empty(quiet.ByCommand);

        // Another client's SET and PUBLISH: those two commands, and exactly the bytes of its requests and Redis's replies.
        var before = await reader.ReadAsync(CancellationToken.None);
        using (var other = new TcpClient())
        {
            await other.ConnectAsync("127.0.0.1", redis.Port);
            var stream = other.GetStream();
            byte[] set = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"u8.ToArray(), publish = "*3\r\n$7\r\nPUBLISH\r\n$1\r\nc\r\n$1\r\nm\r\n"u8.ToArray();
            Assert.Equal("+OK\r\n", await ExchangeAsync(stream, set, 5));
            Assert.Equal(":0\r\n", await ExchangeAsync(stream, publish, 4)); // nobody subscribed
            var cost = RedisCost.Between(before, await reader.ReadAsync(CancellationToken.None), messages: 1, seconds: 1);

            Assert.Equal([new RedisCommandCalls("publish", 1), new RedisCommandCalls("set", 1)], cost.ByCommand);
            Assert.Equal(set.Length + publish.Length, cost.BytesIn);
            Assert.Equal("+OK\r\n".Length + ":0\r\n".Length, cost.BytesOut);
        }
    }

    private static async Task<string> ExchangeAsync(NetworkStream stream, byte[] request, int replyLength)
    {
        await stream.WriteAsync(request);
        var reply = new byte[replyLength];
        await stream.ReadExactlyAsync(reply);
        return Encoding.ASCII.GetString(reply);
    }

    /// <summary>
    /// One small run of each transport's echo through a two-instance cluster and alone. Long polling pays Redis per
    /// message (each send and each poll a script, the held poll woken by PUBLISH: docs/protocol.md "Redis"); a WebSocket
    /// is bound to its instance and never touches Redis per message: in its window Redis sees only the cluster's
    /// periodic commands (each instance's upkeep once a second: its lease in the instances' sorted set, a ZADD and a
    /// ZREMRANGEBYSCORE, the open-session counts by ZCOUNT; SELECT; and the gateway's /readyz probes, a PING each).
    /// </summary>
    [Fact]
    public async Task Through_the_cluster_polling_costs_Redis_commands_and_bytes_per_message_and_a_WebSocket_echo_none()
    {
        var bench = (await BenchRun.StartAsync("echo", "-t", "websocket,longpoll", "--cluster", "2", "-c", "3", "-d", "2", "--warmup", "0.3")).Passed();

        Assert.Equal(["pushcompare", "cluster-2", "pushcompare", "cluster-2"], bench.Runs.Select(r => r.Target));
        Assert.All(bench.Runs.Where(r => r.Target == "pushcompare"), r => Assert.Null(r.Redis)); // in memory: no Redis to read

        var poll = bench.Run("longpoll", "cluster-2");
        var redis = poll.Redis!;
        Assert.Equal(poll.Window.Received, redis.Messages);
        Assert.True(redis.Messages > 0);
        Assert.True(redis.Scripts >= redis.Messages, $"{redis.Scripts} scripts for {redis.Messages} round trips: every send is one");
        Assert.True(redis.CallsOf("publish") > 0, "no PUBLISH: a held poll is woken through pub/sub");
        Assert.True(redis.CallsOf("hset") >= redis.Messages, "every echo reply is written into its session's hash (the log is fields of it)");
        Assert.True(redis.BytesIn > 0 && redis.BytesOut > 0, $"Redis bytes in {redis.BytesIn}, out {redis.BytesOut}");
        Assert.Equal(redis.ByCommand.Sum(c => c.Calls), redis.Commands);

        var socket = bench.Run("websocket", "cluster-2").Redis!;
        Assert.True(socket.Messages > 0);
        Assert.Equal(0, socket.Scripts);
        Assert.Equal(0, socket.CallsOf("publish"));
        Assert.All(socket.ByCommand, c => Assert.Contains(c.Command, new[] { "zadd", "zremrangebyscore", "zcount", "select", "ping" }));

        // CPU and memory summed over the cluster's processes, each of them listed.
        var server = bench.Run("websocket", "cluster-2").Server!;
        Assert.Equal(["gateway", "web1", "web2", "redis"], server.Processes!.Select(p => p.Role));
        Assert.Equal(server.Processes!.Sum(p => p.CpuSeconds), server.CpuSeconds, 9);
        Assert.Equal(server.Processes!.Sum(p => p.RssEndBytes), server.RssEndBytes);

        var table = bench.Table("Scale-out cost per delivered message");
        Assert.Equal(["websocket", "longpoll"], table.Rows.Select(r => r[1]));
        Assert.Equal(2, bench.Table("Through the gateway vs direct").Rows.Count);
        Assert.Equal(8, bench.Table("Cluster processes").Rows.Count);
    }

    private static BenchSettings Settings(string scenario, int clients, int gateways) => new()
    {
        Scenario = scenario, Clients = [clients], DurationSeconds = 1, WarmupSeconds = 0, Cluster = 3, Gateways = gateways,
    };

    /// <summary>Parses a command line as the bench would and returns its settings without running anything.</summary>
    private static async Task<BenchSettings> ParseAsync(params string[] args)
    {
        BenchSettings? parsed = null;
        var output = new StringWriter();
        var root = Commands.Build((settings, _) =>
        {
            parsed = settings;
            return Task.FromResult(0);
        });
        int exit = await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = output });
        Assert.True(exit == 0, output.ToString());
        return parsed!;
    }
}
