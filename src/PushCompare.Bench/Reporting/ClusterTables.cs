using PushCompare.Bench.Cli;
using PushCompare.Bench.Running;

namespace PushCompare.Bench.Reporting;

/// <summary>
/// The tables of a <c>--cluster</c> invocation: the cluster against the app alone (same invocation, alternated), the
/// scale-out cost of each transport (Redis commands and bytes per delivered message beside the wire bytes), and each
/// process of the cluster.
/// </summary>
internal static class ClusterTables
{
    /// <summary>Commands named in "top commands", most called first.</summary>
    private const int TopCommands = 5;

    public static IEnumerable<ReportTable> For(BenchSettings settings, List<RunResult> runs)
    {
        if (settings.Cluster is null) yield break;
        yield return VersusDirect(settings, runs);
        if (runs.Any(r => r.Redis is not null)) yield return RedisCost(settings, runs);
        if (runs.Any(r => r.Server?.Processes is not null)) yield return Processes(settings, runs);
    }

    /// <summary>Per case: the cluster's throughput, latency, loss and server CPU (all its processes) as a ratio to the app alone.</summary>
    private static ReportTable VersusDirect(BenchSettings settings, List<RunResult> runs)
    {
        bool echo = settings.Scenario == "echo";
        var rows = new List<IReadOnlyList<string>>();
        foreach (var g in runs.GroupBy(r => (r.Transport, r.Protocol, r.Headers, r.Clients, r.OfferedRate)))
        {
            var direct = g.Where(r => r.TargetKind != "cluster").ToList();
            foreach (var cluster in g.Where(r => r.TargetKind == "cluster").GroupBy(r => r.Target))
            {
                var c = cluster.ToList();
                double? Mean(List<RunResult> rs, Func<RunResult, double?> f) =>
                    rs.Select(f).Where(v => v is not null).Select(v => v!.Value).ToList() is { Count: > 0 } vs ? vs.Average() : null;
                double? Ratio(double? a, double? b) => a is { } x && b is { } y && y > 0 ? x / y : null;
                double? rateDirect = Mean(direct, r => r.MessagesPerSecond), rateCluster = Mean(c, r => r.MessagesPerSecond);
                double? cpuDirect = Mean(direct, r => r.Server?.CpuMsPer1000Messages), cpuCluster = Mean(c, r => r.Server?.CpuMsPer1000Messages);
                rows.Add([cluster.Key, g.Key.Transport, Format.Int(g.Key.Clients), Format.Int(c.Count),
                    Format.Int(rateDirect ?? 0), Format.Int(rateCluster ?? 0), Format.Ratio(Ratio(rateCluster, rateDirect)),
                    Format.Ms(Mean(direct, r => r.Latency?.P99Ms)), Format.Ms(Mean(c, r => r.Latency?.P99Ms)),
                    Format.Int(direct.Sum(r => r.Totals.Lost)), Format.Int(c.Sum(r => r.Totals.Lost)),
                    Format.Ms(cpuDirect), Format.Ms(cpuCluster), Format.Ratio(Ratio(cpuCluster, cpuDirect))]);
            }
        }
        string unit = echo ? "round trips/s" : "delivered/s";
        return new ReportTable("Through the gateway vs direct (the cluster against the app alone, same invocation)",
            ["cluster", "transport", "clients", "runs each", $"direct {unit}", $"cluster {unit}", "cluster / direct", "direct p99 ms", "cluster p99 ms",
             "direct lost", "cluster lost", "direct server CPU ms/1k", "cluster server CPU ms/1k", "CPU cluster / direct"], rows,
            [$"Direct: the app alone, sessions in memory. Cluster: a private redis-server, the instances with Backplane:Redis, and {GatewayWords(settings)} " +
             "(YARP, round-robin, no affinity) in front; every run starts a fresh one. Each is a mean over the rounds, the two targets alternated within each round.",
             "Server CPU of the cluster is utime + stime of all its processes (gateways, instances, Redis) over the window, per 1,000 messages; every process shares the machine with the bench."]);
    }

    /// <summary>
    /// The scale-out cost of each transport in one table: what Redis did per delivered message (commands, scripts,
    /// PUBLISH, bytes both ways), beside the bytes the client's own connections carried per message.
    /// </summary>
    private static ReportTable RedisCost(BenchSettings settings, List<RunResult> runs)
    {
        var rows = new List<IReadOnlyList<string>>();
        foreach (var r in runs.Where(r => r.Redis is not null))
        {
            var redis = r.Redis!;
            string top = string.Join(", ", redis.ByCommand.Take(TopCommands).Select(c => $"{c.Command} {PerMessage(c.Calls, redis.Messages)}"));
            var row = new List<string>();
            if (settings.Rounds > 1) row.Add(r.Round.ToString(System.Globalization.CultureInfo.InvariantCulture));
            row.AddRange([r.Target, r.Transport, Format.Int(r.Clients), Format.Int(redis.Messages), PerMessage(redis.Commands, redis.Messages),
                PerMessage(redis.Scripts, redis.Messages), PerMessage(redis.CallsOf("publish"), redis.Messages), top.Length > 0 ? top : "-",
                Format.Bytes(redis.BytesInPerMessage), Format.Bytes(redis.BytesOutPerMessage),
                Format.Bytes(r.WireBytesPerMessageUp + r.WireBytesPerMessageDown), Format.Int(redis.CommandsPerSecond ?? 0)]);
            rows.Add(row);
        }
        List<string> columns = settings.Rounds > 1 ? ["round"] : [];
        columns.AddRange(["target", "transport", "clients", "messages in window", "Redis commands/msg", "scripts/msg", "PUBLISH/msg",
            "top commands (calls/msg)", "Redis B in/msg", "Redis B out/msg", "client wire B/msg (both ways)", "Redis commands/s"]);
        return new ReportTable("Scale-out cost per delivered message: Redis beside the wire", columns, rows,
            ["From Redis's INFO (commandstats; total_net_input_bytes, total_net_output_bytes) at both edges of the window, divided by the messages " +
             "delivered in it (echo: round trips). The bench's own reading is taken out (one INFO call, its request and reply bytes): the figures are the cluster's alone.",
             "Redis counts each command a Lua script runs (redis.call) as a call of that command too: \"commands\" is Redis's work, scripts/msg the " +
             "EVALSHA/EVAL calls the instances sent. PUBLISH is the cross-instance wake-up (or a topic's live delivery), sent from inside the scripts.",
             "Included: the cluster's periodic commands whatever the traffic (each instance's session upkeep about once a second, the gateway's " +
             "/readyz probes that PING Redis, summed figures flushed once a second): \"Redis commands/s\" shows the rate. Redis B in = what the instances sent, " +
             "B out = replies and pub/sub messages to them."]);
    }

    private static ReportTable Processes(BenchSettings settings, List<RunResult> runs)
    {
        var rows = new List<IReadOnlyList<string>>();
        foreach (var r in runs.Where(r => r.Server?.Processes is not null))
        {
            foreach (var p in r.Server!.Processes!)
            {
                var row = new List<string>();
                if (settings.Rounds > 1) row.Add(r.Round.ToString(System.Globalization.CultureInfo.InvariantCulture));
                row.AddRange([r.Target, r.Transport, Format.Int(r.Clients), p.Role, p.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    Format.Percent(p.CpuPercent), Format.Ms(p.CpuMsPer1000Messages), Format.Mb(p.RssEndBytes)]);
                rows.Add(row);
            }
        }
        List<string> columns = settings.Rounds > 1 ? ["round"] : [];
        columns.AddRange(["target", "transport", "clients", "process", "pid", "CPU", "CPU ms/1k msgs", "RSS end MB"]);
        return new ReportTable("Cluster processes (the runs table's server figures are their sums)", columns, rows,
            ["CPU: utime + stime from /proc over the window (100% = one core); RSS: VmRSS at the window's end."]);
    }

    /// <summary>Three significant digits: a WebSocket's periodic commands are thousandths of a call per message, a polling session's tens.</summary>
    private static string PerMessage(long calls, long messages) => messages > 0 ? Format.Sig3((double)calls / messages) : "-";

    private static string GatewayWords(BenchSettings settings) =>
        settings.Gateways == 1 ? "the gateway" : $"{settings.Gateways} gateways (the client spreads its connections over them)";
}
