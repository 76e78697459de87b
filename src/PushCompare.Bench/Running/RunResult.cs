using PushCompare.Bench.Clients;
using PushCompare.Bench.Clients.Raw;
using PushCompare.Bench.Metrics;

namespace PushCompare.Bench.Running;

/// <summary>Everything measured in one run, as written to the JSON report. Window figures cover the measurement window only.</summary>
public sealed class RunResult
{
    public required string Scenario { get; init; }
    public required string Mode { get; init; }
    public required string Target { get; init; }
    public required string TargetKind { get; init; }
    public required string Transport { get; init; }
    public required string Headers { get; init; }

    /// <summary>The run's protocol stack: "h1", "h1+tls" or "h2+tls" (<see cref="Cli.WireStack.Id"/>).</summary>
    public string Protocol { get; init; } = "h1";
    public int Round { get; init; }
    public int Clients { get; init; }
    public int Size { get; init; }
    public int IntervalMs { get; init; }
    public int PollIntervalMs { get; init; }
    public double? OfferedRate { get; init; }

    /// <summary>Why the run did not happen (e.g. the Node peer has no polling); skipped runs pass.</summary>
    public string? Skipped { get; set; }

    public int ClientsConnected { get; set; }
    public double WindowSeconds { get; set; }

    /// <summary>
    /// Seconds from the clients' start (the origin of open-loop schedules) to the window's end: the warm-up as it really
    /// ran (a loaded machine runs it longer than asked) and the window. No schedule can send more than this much time allows.
    /// </summary>
    public double ClientLoopSeconds { get; set; }

    /// <summary>Whole-run counts (connect to close), the basis of the exactly-once checks.</summary>
    public CounterTotals Totals { get; set; }

    /// <summary>Counts inside the measurement window.</summary>
    public CounterTotals Window { get; set; }

    /// <summary>Messages (round trips for echo, deliveries for push) completed per second in the window.</summary>
    public double MessagesPerSecond { get; set; }

    public LatencySummary? Latency { get; set; }

    /// <summary>Client-side byte counts in the window: TCP payload both ways, all headers included.</summary>
    public TrafficSnapshot WindowTraffic { get; set; }
    public double BytesPerSecondUp { get; set; }
    public double BytesPerSecondDown { get; set; }

    /// <summary>Window bytes divided by window messages (everything on the wire, per delivered message).</summary>
    public double? BytesPerMessageUp { get; set; }
    public double? BytesPerMessageDown { get; set; }

    /// <summary>Wire bytes (TCP payload: TLS records) in the window per message; equal to the HTTP-layer figures without TLS.</summary>
    public double? WireBytesPerMessageUp { get; set; }
    public double? WireBytesPerMessageDown { get; set; }

    /// <summary>
    /// The bytes of the window per message at each layer as each source measured them: the client's counting streams
    /// ("client", always), and later the server's own metering ("server", from /api/stats v3) beside them.
    /// </summary>
    public List<LayerBytes> Layers { get; set; } = [];

    /// <summary>Polling: window bytes both ways minus message payload, per message (HTTP requests, responses, JSON).</summary>
    public double? HttpOverheadPerMessage { get; set; }

    /// <summary>Polling: HTTP requests completed in the window per message delivered in it.</summary>
    public double? RequestsPerMessage { get; set; }

    public WebSocketAccounting? WebSocket { get; set; }

    /// <summary><c>--broadcast</c>: what the publisher did (its bytes are not in the window's traffic).</summary>
    public BroadcastStats? Broadcast { get; set; }
    public SseAccounting? Sse { get; set; }
    public ServerStats? Server { get; set; }

    /// <summary><c>--cluster</c>: what the cluster's Redis did in the window (INFO at both edges, the reading's own cost taken out).</summary>
    public RedisCost? Redis { get; set; }
    public double ClientCpuSeconds { get; set; }
    public double ClientCpuPercent { get; set; }

    /// <summary>Bytes the whole bench process allocated in the window per message: near 0 for WebSocket (allocation-free loops).</summary>
    public double? ClientAllocatedBytesPerMessage { get; set; }

    /// <summary>Open loop: the offered rate was achieved with p99 within the limit and no errors.</summary>
    public bool? Held { get; set; }

    public List<string> Problems { get; set; } = [];
    public List<string> ErrorSamples { get; set; } = [];

    public bool Ok => Skipped is not null || Problems.Count == 0;
}

/// <summary>
/// Exact per-connection WebSocket accounting over whole connections that closed cleanly: bytes = handshake +
/// frames, and per message the frame header is what RFC 6455 says (2 B down, 6 B up for payloads under 126 B).
/// </summary>
public sealed record WebSocketAccounting(
    int Connections,
    long HandshakeBytesUp,
    long HandshakeBytesDown,
    FrameCounts FramesUp,
    FrameCounts FramesDown,
    long UnaccountedBytes,
    double? HeaderBytesPerMessageDown,
    double? HeaderBytesPerMessageUp,
    double? PayloadBytesPerMessageDown,
    double? PayloadBytesPerMessageUp);

/// <summary>
/// Exact accounting of the SSE streams that ended with their last chunk (<c>Streams</c>; <c>Clients</c>: clients all
/// of whose streams did): each body byte is chunk framing, a message event's data (payload) or the rest of it (field
/// names, <c>id: N</c>, line ends, the blank line), or another event (heartbeats). Per message: the whole run's bytes
/// of each class over its message events.
/// </summary>
public sealed record SseAccounting(
    int Clients,
    int Streams,
    long Reconnects,
    long HeadBytesDown,
    SseByteCounts Counts,
    long UnaccountedBytes,
    double? PayloadBytesPerMessage,
    double? EventFramingBytesPerMessage,
    double? ChunkFramingBytesPerMessage);

/// <summary>
/// The server process over the window (null fields when the bench cannot see the process); for a cluster the sums over
/// all its processes (<c>Pid</c> is its first gateway's), each of them in <see cref="Processes"/>.
/// </summary>
public sealed record ServerStats(
    int Pid,
    double CpuSeconds,
    double CpuPercent,
    double? CpuMsPer1000Messages,
    long RssStartBytes,
    long RssEndBytes,
    long? RssBaselineBytes,
    double? RssPerConnectionBytes)
{
    public IReadOnlyList<ProcessShare>? Processes { get; init; }
}

/// <summary>One process of a cluster over the window: its CPU (per second and per 1,000 messages) and resident memory.</summary>
public sealed record ProcessShare(string Role, int Pid, double CpuSeconds, double CpuPercent, double? CpuMsPer1000Messages, long RssStartBytes, long RssEndBytes)
{
    internal static ProcessShare Of(Targets.ServerProcess process, Metrics.ProcessSample start, Metrics.ProcessSample end, double seconds, long messages)
    {
        double cpu = end.CpuSeconds - start.CpuSeconds;
        return new ProcessShare(process.Role, process.Pid, cpu, seconds > 0 ? 100 * cpu / seconds : 0, messages > 0 ? cpu * 1e6 / messages : null,
            start.RssBytes, end.RssBytes);
    }
}

/// <summary>
/// One source's bytes for a run's window: at the HTTP layer (HTTP/1.1 text or HTTP/2 frames, as the HTTP client or the
/// server's HTTP code sees them) and at the wire (TCP payload: TLS records), both directions, minus the messages' own
/// text: the overhead. <c>Source</c> says who counted: "client" (the bench's counting streams, exact for its own
/// connections) or "server" (the app's metering).
/// </summary>
public sealed record LayerBytes(string Source, long HttpUp, long HttpDown, long WireUp, long WireDown, long PayloadBytes, long Messages)
{
    public double? HttpOverheadPerMessage => Messages > 0 ? (double)(HttpUp + HttpDown - PayloadBytes) / Messages : null;

    public double? WireOverheadPerMessage => Messages > 0 ? (double)(WireUp + WireDown - PayloadBytes) / Messages : null;

    /// <summary>What TLS adds per message: record headers, AEAD tags, key updates, and anything the wire carries that HTTP does not.</summary>
    public double? TlsPerMessage => Messages > 0 ? (double)(WireUp + WireDown - HttpUp - HttpDown) / Messages : null;
}
