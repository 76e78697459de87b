using PushCompare.Bench.Cli;
using PushCompare.Bench.Clients;
using PushCompare.Bench.Running;

namespace PushCompare.Bench.Transports;

/// <summary>
/// What the bench knows about one transport: its id, what it needs from the server and the run, how its bytes are
/// accounted and how a connection is made. Workloads and reports ask it; nothing outside a transport's own file
/// switches on which transport it is. A new transport is a subclass (with its <see cref="BenchConnection"/>) and one
/// line in <see cref="TransportCatalog"/>.
/// </summary>
public abstract class BenchTransport
{
    /// <summary>The server's id: the key in <c>GET /api/stats</c> "transports", the value of <c>--transport</c>, the reports' name.</summary>
    public abstract string Id { get; }

    /// <summary>Rides the server's HTTP sessions (<c>/poll</c>, <c>/sse</c>): a target that serves WebSocket only cannot run it.</summary>
    public virtual bool UsesSessions => true;

    /// <summary>Each message costs HTTP requests: the reports show requests per message and HTTP overhead around the payload.</summary>
    public virtual bool CountsRequests => true;

    /// <summary>Why an idle run (connections held open, nothing sent) means nothing for this transport; null when it does.</summary>
    public virtual string? IdleSkipReason => null;

    /// <summary>Connections one echo client holds (file descriptors are counted before a large run).</summary>
    public virtual int EchoConnections => 2;

    /// <summary>Why <c>--compression</c> cannot apply (its client reads raw bytes without a decoder); null when it can.</summary>
    public virtual string? CompressionRefusal => null;

    /// <summary>The request that opens a push session with <paramref name="query"/> (named when no push arrives).</summary>
    public abstract string OpenRequest(string query);

    /// <summary>
    /// On Redis a publish's 202 count counts this transport's subscribers by instance, not one by one (WebSocket
    /// subscribers are bound to the instance holding them).
    /// </summary>
    public virtual bool BroadcastReachByInstance => false;

    /// <summary>Bytes per message Lubbers &amp; Greco (2010) counted for this kind of transport; null when the paper did not measure it.</summary>
    public virtual double? PaperBytesPerMessage => null;

    /// <summary>A note the runs table adds when this transport ran (how its client works), or null.</summary>
    public virtual string? RunsNote => null;

    /// <summary>Whether the run's clients need the shared HTTP handlers (<see cref="PollHttp"/>) rather than connections of their own.</summary>
    internal abstract bool NeedsSharedHttp(RunSpec spec, BenchSettings settings);


    /// <summary>One simulated user's connection (or session) for <paramref name="kind"/> of work.</summary>
    internal abstract BenchConnection Connect(RunContext context, int index, ClientCounters counters, SessionKind kind);

    /// <summary>
    /// After a run: this transport's exact byte accounting over its connections (every byte a head, a frame or an
    /// event), with a problem added to <paramref name="result"/> for anything left over. Nothing by default.
    /// </summary>
    internal virtual void Account(RunResult result, RunSpec spec, IReadOnlyList<BenchConnection> connections)
    {
    }

    /// <summary>
    /// Protocol overhead per delivered message at the HTTP layer (the Lubbers table): by default everything around the
    /// payload, from <see cref="RunResult.HttpOverheadPerMessage"/>.
    /// </summary>
    public virtual double? OverheadPerMessage(RunResult r) => r.HttpOverheadPerMessage;

    /// <summary>
    /// A reader of an existing session over this transport (the switch scenario moves one session between readers);
    /// null when the transport cannot carry a session.
    /// </summary>
    internal virtual SessionReader? SessionReader(Uri baseUri, WireStack stack, BenchSettings settings) => null;

    /// <summary>Warms the server's code paths for this transport before an idle run reads its memory baseline.</summary>
    internal virtual Task WarmUpAsync(HttpClient http, Uri baseUri, WireStack stack, CancellationToken cancel) => Task.CompletedTask;

    public override string ToString() => Id;
}
