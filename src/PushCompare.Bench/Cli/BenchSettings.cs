namespace PushCompare.Bench.Cli;

/// <summary>Which request headers the client sends: the .NET client's minimum, or the set a real Chromium sends.</summary>
public enum HeaderProfile
{
    DotNet,
    Chromium,
}

/// <summary>
/// The HTTP client of polling push and idle runs: .NET's HttpClient (shared, pooled), or a lean hand-written HTTP/1.1
/// client with one connection per simulated user, to tell the client's share of the latency from the server's.
/// </summary>
public enum PollClientKind
{
    HttpClient,
    Raw,
}

/// <summary>
/// The load client of closed-loop WebSocket echo: the bench's own (.NET, in process, every byte counted and every frame
/// accounted), or the Node <c>ws</c> client in bench/peers/node-ws-echo/client.js, one process whose event loop is not
/// the runtime the server under test uses, as the reference measurements were made.
/// </summary>
public enum EchoClientKind
{
    DotNet,
    Node,
}

/// <summary>
/// A copy of the app started with extra settings (Key=Value, as --server-arg) and environment variables (NAME=VALUE,
/// as --server-env), for side-by-side runs: metering on vs off, inline scheduling off, workstation GC, ...
/// </summary>
public sealed record Variant(string Name, IReadOnlyList<string> ServerArgs, IReadOnlyList<string> ServerEnv);

/// <summary>Everything a bench invocation was asked to do, after parsing and validation.</summary>
public sealed record BenchSettings
{
    public required string Scenario { get; init; }

    /// <summary>Transport ids as given to <c>--transport</c>, in order; null for "all" (whatever the server offers).</summary>
    public IReadOnlyList<string>? RequestedTransports { get; init; }

    /// <summary>
    /// The transports to run: <see cref="RequestedTransports"/> checked against what the server lists at
    /// <c>GET /api/stats</c> once it is up (<see cref="Running.BenchRunner"/>), in that order.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlyList<Transports.BenchTransport> Transports { get; init; } = [];

    /// <summary>The ids of <see cref="Transports"/>, as the report's JSON names them.</summary>
    [System.Text.Json.Serialization.JsonPropertyName("transports")]
    public IReadOnlyList<string> TransportIds => [.. Transports.Select(t => t.Id)];

    /// <summary>Transports the server offers that the bench has no client for ("id (label)"), when "all" was asked.</summary>
    public IReadOnlyList<string> UnmeasuredTransports { get; init; } = [];
    public required IReadOnlyList<int> Clients { get; init; }
    public required double DurationSeconds { get; init; }
    public required double WarmupSeconds { get; init; }
    public double DrainSeconds { get; init; } = 10;
    public int Size { get; init; } = 32;
    public int IntervalMs { get; init; } = 1000;
    public int PollIntervalMs { get; init; } = 1000;

    /// <summary>Open-loop offered rates in messages per second (all clients together), one run each; empty = closed loop.</summary>
    public IReadOnlyList<double> Rates { get; init; } = [];
    public double P99LimitMs { get; init; } = 5;
    public bool StopAfterFailedStep { get; init; } = true;

    public string? OutDir { get; init; }
    public Uri? Url { get; init; }
    public int? ServerPid { get; init; }
    public string? ServerDll { get; init; }
    public IReadOnlyList<string> ServerArgs { get; init; } = [];
    public IReadOnlyList<string> ServerEnv { get; init; } = [];
    public IReadOnlyList<Variant> Variants { get; init; } = [];
    public int Rounds { get; init; } = 1;
    public bool NodePeer { get; init; }
    public bool ChromiumHeaders { get; init; }
    public bool Progress { get; init; } = true;
    public int ConnectConcurrency { get; init; } = 64;
    public PollClientKind PollClient { get; init; } = PollClientKind.HttpClient;
    public EchoClientKind EchoClient { get; init; } = EchoClientKind.DotNet;

    /// <summary>The protocol stacks to run (<c>--protocol</c>, <c>--tls</c>), one run each, in this order.</summary>
    public IReadOnlyList<WireStack> Stacks { get; init; } = [WireStack.Http11];

    /// <summary>
    /// HTTP/2: how many clients share one connection (their streams multiplexed on it). 1, the default, gives each
    /// simulated user its own connection, as each browser has its own; HTTP/1.1 ignores it.
    /// </summary>
    public int ClientsPerConnection { get; init; } = 1;

    /// <summary>
    /// Push and lubbers: the clients subscribe to <see cref="BroadcastTopic"/> (<c>topic=</c>) instead of asking for their
    /// own ticks, and one publisher POSTs a tick there every <see cref="IntervalMs"/>: one message, every client.
    /// </summary>
    public bool Broadcast { get; init; }

    public const string BroadcastTopic = "bench-broadcast";

    /// <summary>The connect query of a push client: its own tick stream, or the broadcast topic.</summary>
    public string PushQuery => Broadcast ? $"topic={BroadcastTopic}" : $"push={IntervalMs}";

    /// <summary>Start the app with permessage-deflate and HTTP response compression on, and have the clients negotiate them.</summary>
    public bool Compression { get; init; }

    /// <summary>
    /// <c>--cluster N</c>: also run every case through a local cluster (private Redis, N instances on it, the gateway in
    /// front), alternating with the app on its own (in memory) in the same invocation; null without it.
    /// </summary>
    public int? Cluster { get; init; }

    /// <summary>Gateways in front of the cluster (<c>--gateways</c>); the client spreads its connections over them.</summary>
    public int Gateways { get; init; } = 1;

    /// <summary>The header profiles to run: always the .NET client, plus Chromium's when asked.</summary>
    public IReadOnlyList<HeaderProfile> HeaderProfiles => ChromiumHeaders ? [HeaderProfile.DotNet, HeaderProfile.Chromium] : [HeaderProfile.DotNet];
}
