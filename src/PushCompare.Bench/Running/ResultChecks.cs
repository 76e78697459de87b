using PushCompare.Bench.Cli;
using PushCompare.Bench.Clients;
using PushCompare.Bench.Clients.Raw;
using PushCompare.Bench.Clients.Sse;
using PushCompare.Bench.Metrics;

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
            if (spec.Transport != Transport.WebSocket)
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

        bool echo = spec.Mode is RunMode.ClosedLoopEcho or RunMode.OpenLoopEcho;
        if (echo && totals.Sent != totals.Received + totals.Lost) p.Add($"sent {totals.Sent} messages but received {totals.Received} replies");
        if (echo && window.Received == 0) p.Add("no round trip completed in the window");
        if (spec.Mode == RunMode.Push)
        {
            if (window.Received == 0)
            {
                p.Add($"no push message arrived in the window: does the server support push ({PushHint(spec.Transport, settings.PushQuery)})?");
            }
            else
            {
                double expected = result.ClientsConnected * seconds * 1000 / settings.IntervalMs;
                if (window.Received < 0.5 * expected) p.Add($"only {window.Received} ticks arrived where {expected:0} were due at one per {settings.IntervalMs} ms per client");
            }
        }

        if (result.Broadcast is { } b)
        {
            int expected = ExpectedReach(result, spec, settings);
            if (b.Published == 0) p.Add($"no publish to /topics/{b.Topic} was accepted");
            else if (b.MinSubscribers < expected)
                p.Add($"a publish reached only {b.MinSubscribers} of {expected} {(expected == result.ClientsConnected ? "subscribers" : "instances holding its WebSocket subscribers")} (the server's 202 count)");
        }

        // Over HTTP/2 a WebSocket's frames are inside DATA frames of a shared connection: no per-connection RFC 6455 split.
        // The Node load client (no in-process clients) counts its sockets' bytes but does not scan their frames.
        if (spec.Transport == Transport.WebSocket && !spec.Stack.IsHttp2 && clients.Length > 0) result.WebSocket = AccountWebSocket(result, clients);
        if (spec.Transport == Transport.Sse) result.Sse = AccountSse(result, clients);
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
        result.TargetKind == "cluster" && spec.Transport == Transport.WebSocket && settings.Cluster is { } instances
            ? Math.Min(result.ClientsConnected, instances)
            : result.ClientsConnected;

    private static string PushHint(Transport transport, string query) => transport switch
    {
        Transport.WebSocket => $"GET /ws?{query}",
        Transport.Sse => $"POST /sse?{query}",
        _ => $"POST /poll?{query}",
    };

    /// <summary>
    /// Sums the stream byte classes over streams that ended with their last chunk (after the DELETE; a stream cut
    /// during the run has a half-read end), checks that the parser's classes add up to what the counting stream read
    /// and that no event was left half-read, and, for clients whose every stream ended so, that each message event
    /// was counted as a message.
    /// </summary>
    private static SseAccounting? AccountSse(RunResult result, BenchClient[] clients)
    {
        var sse = clients.OfType<SseClient>().ToList();
        var clean = sse.SelectMany(c => c.Streams).Where(s => s.EndedCleanly).ToList();
        if (clean.Count == 0)
        {
            if (result.Problems.Count == 0) result.Problems.Add("no SSE stream ended with its last chunk after the DELETE, so its bytes could not be accounted for");
            return null;
        }
        var counts = default(SseByteCounts);
        long heads = 0, unaccounted = 0;
        foreach (var s in clean)
        {
            var n = s.Parser.Counts;
            counts += n;
            heads += s.HeadBytes;
            unaccounted += s.BodyBytesRead - s.Parser.Fed + n.PendingBytes;
        }
        var whole = sse.Where(c => c.Streams.Count > 0 && c.Streams.All(s => s.EndedCleanly)).ToList();
        long events = whole.Sum(c => c.Streams.Sum(s => s.Parser.Counts.MessageEvents));
        long received = whole.Sum(c => c.Counters.Received);
        if (unaccounted != 0) result.Problems.Add($"{unaccounted} SSE stream bytes are neither chunk framing nor part of an event");
        if (events != received) result.Problems.Add($"{events} message events arrived but the clients counted {received}");
        return new SseAccounting(whole.Count, clean.Count, sse.Sum(c => c.Counters.Reconnects), heads, counts, unaccounted,
            Per(counts.PayloadBytes, counts.MessageEvents), Per(counts.MessageFramingBytes, counts.MessageEvents), Per(counts.ChunkFramingBytes, counts.MessageEvents));
    }

    /// <summary>Sums handshake and frame counts over connections that closed cleanly and checks nothing is left over.</summary>
    private static WebSocketAccounting? AccountWebSocket(RunResult result, BenchClient[] clients)
    {
        var closed = clients.OfType<WebSocketClient>().Where(c => c.ClosedCleanly && c.Stream is { Down: not null, Up: not null }).ToList();
        if (closed.Count == 0)
        {
            if (result.Problems.Count == 0) result.Problems.Add("no WebSocket connection closed cleanly, so its bytes could not be accounted for");
            return null;
        }
        FrameCounts up = default, down = default;
        long handshakeUp = 0, handshakeDown = 0, unaccounted = 0, received = 0;
        bool headsComplete = true;
        foreach (var c in closed)
        {
            var s = c.Stream!;
            headsComplete &= s.Up!.HeadComplete && s.Down!.HeadComplete;
            var (hu, hd) = c.Handshake;
            var fu = s.Up!.Counts;
            var fd = s.Down!.Counts;
            handshakeUp += hu;
            handshakeDown += hd;
            up += fu;
            down += fd;
            unaccounted += (s.BytesWritten - hu - fu.TotalBytes) + (s.BytesRead - hd - fd.TotalBytes);
            received += c.Counters.Received;
        }
        if (!headsComplete) result.Problems.Add("an HTTP upgrade head never ended with a blank line (CRLF CRLF): its frames could not be counted");
        if (down.LostSync || up.LostSync) result.Problems.Add("a WebSocket frame header made no sense: byte accounting lost its place");
        if (unaccounted != 0) result.Problems.Add($"{unaccounted} WebSocket bytes are neither handshake nor frames");
        if (down.DataMessages != received) result.Problems.Add($"{down.DataMessages} data messages arrived but the clients counted {received}");
        return new WebSocketAccounting(closed.Count, handshakeUp, handshakeDown, up, down, unaccounted,
            Per(down.DataHeaderBytes, down.DataMessages), Per(up.DataHeaderBytes, up.DataMessages),
            Per(down.DataPayloadBytes, down.DataMessages), Per(up.DataPayloadBytes, up.DataMessages));
    }

    private static double? Per(long bytes, long messages) => messages > 0 ? (double)bytes / messages : null;
}
