using PushCompare.Bench.Cli;
using PushCompare.Bench.Clients;
using PushCompare.Bench.Transports;

namespace PushCompare.Bench.Running;

/// <summary>
/// Derives per-message figures from a finished run and checks its correctness: every message exactly once, every
/// byte accounted for. Anything wrong becomes a problem, and a run with problems fails the bench (exit code 1).
/// </summary>
internal static class ResultChecks
{
    public static void Complete(RunResult result, RunSpec spec, BenchSettings settings, BenchClient[] clients, ErrorLog errors)
    {
        var window = result.Window;
        var totals = result.Totals;
        double seconds = result.WindowSeconds;
        result.MessagesPerSecond = seconds > 0 ? window.Received / seconds : 0;
        result.BytesPerSecondUp = seconds > 0 ? result.WindowTraffic.Up / seconds : 0;
        result.BytesPerSecondDown = seconds > 0 ? result.WindowTraffic.Down / seconds : 0;
        if (window.Received > 0)
        {
            result.BytesPerMessageUp = (double)result.WindowTraffic.Up / window.Received;
            result.BytesPerMessageDown = (double)result.WindowTraffic.Down / window.Received;
            result.WireBytesPerMessageUp = (double)result.WindowTraffic.WireUp / window.Received;
            result.WireBytesPerMessageDown = (double)result.WindowTraffic.WireDown / window.Received;
            if (spec.Transport.CountsRequests)
            {
                result.RequestsPerMessage = (double)window.Requests / window.Received;
                result.HttpOverheadPerMessage = (double)(result.WindowTraffic.Up + result.WindowTraffic.Down - window.PayloadUp - window.PayloadDown) / window.Received;
            }
        }

        var t = result.WindowTraffic;
        result.Layers.Add(new LayerBytes("client", t.Up, t.Down, t.WireUp, t.WireDown, window.PayloadUp + window.PayloadDown, window.Received));

        var p = result.Problems;
        if (result.ClientsConnected < spec.Clients) p.Add($"{spec.Clients - result.ClientsConnected} of {spec.Clients} clients could not connect");
        if (errors.Count > 0)
        {
            p.Add($"{errors.Count} errors");
            result.ErrorSamples = errors.Samples();
        }
        if (totals.Lost > 0) p.Add($"{totals.Lost} messages lost (sequence gaps)");
        if (totals.Duplicates > 0) p.Add($"{totals.Duplicates} messages delivered twice or out of order");

        bool echo = spec.Mode is RunMode.ClosedLoopEcho or RunMode.OpenLoopEcho or RunMode.FirstMessage;
        if (echo && totals.Sent != totals.Received + totals.Lost) p.Add($"sent {totals.Sent} messages but received {totals.Received} replies");
        if (echo && window.Received == 0) p.Add("no round trip completed in the window");
        if (spec.Mode == RunMode.Push)
        {
            if (window.Received == 0)
            {
                p.Add($"no push message arrived in the window: does the server support push ({spec.Transport.OpenRequest(settings.PushQuery)})?");
            }
            else
            {
                // Due at the pace the server stamped its ticks: on a loaded machine its timer ticks later than asked, which
                // is not the transport's fault; a stream that stalls still falls short, since its ticks before the stall kept pace.
                var connected = clients.Where(c => c.Connected).ToList();
                double expected = connected.Sum(c => seconds * 1000 / c.Counters.TickPaceMs(settings.IntervalMs));
                if (window.Received < 0.5 * expected)
                {
                    double pace = connected.Count > 0 ? connected.Average(c => c.Counters.TickPaceMs(settings.IntervalMs)) : settings.IntervalMs;
                    p.Add($"only {window.Received} ticks arrived where {expected:0} were due at one per {pace:0.#} ms per client " +
                        $"(the pace the server stamped them at; {settings.IntervalMs} ms asked)");
                }
            }
        }

        if (result.Broadcast is { } b)
        {
            int expected = ExpectedReach(result, spec, settings);
            if (b.Published == 0) p.Add($"no publish to /topics/{b.Topic} was accepted");
            else if (b.MinSubscribers < expected)
                p.Add($"a publish reached only {b.MinSubscribers} of {expected} {(expected == result.ClientsConnected ? "subscribers" : "instances holding its WebSocket subscribers")} (the server's 202 count)");
        }

        spec.Transport.Account(result, spec, [.. clients.Select(c => c.Connection)]);
        if (spec.Mode == RunMode.OpenLoopEcho && spec.Rate is { } rate)
        {
            result.Held = result.Ok && result.MessagesPerSecond >= 0.97 * rate && result.Latency is { } l && l.P99Ms <= settings.P99LimitMs;
        }
    }

    /// <summary>
    /// What a publish's 202 <c>subscribers</c> must reach: every connected subscriber; but on Redis, WebSocket
    /// subscribers are counted by instance (sessions + instances holding live subscribers, docs/protocol.md "Topics"),
    /// so through a cluster the instances the round-robin gateway put them on.
    /// </summary>
    internal static int ExpectedReach(RunResult result, RunSpec spec, BenchSettings settings) =>
        result.TargetKind == "cluster" && spec.Transport.BroadcastReachByInstance && settings.Cluster is { } instances
            ? Math.Min(result.ClientsConnected, instances)
            : result.ClientsConnected;

    internal static double? Per(long bytes, long messages) => messages > 0 ? (double)bytes / messages : null;
}
