using PushCompare.Bench.Cli;
using PushCompare.Bench.Clients;
using PushCompare.Bench.Metrics;

namespace PushCompare.Bench.Running;

/// <summary>What every client of one run shares: where the server is, the settings, the meters and the stop signals.</summary>
internal sealed class RunContext(RunSpec spec, BenchSettings settings, Uri baseUri) : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _abort = new();

    public RunSpec Spec { get; } = spec;

    public BenchSettings Settings { get; } = settings;

    public Uri BaseUri { get; } = baseUri;

    public TrafficMeter Traffic { get; } = new();

    public LatencyStats Latency { get; } = new();

    public ErrorLog Errors { get; } = new();

    /// <summary>Open-loop senders whose sends need no answer, one loop per core.</summary>
    public Pacer Pacer { get; } = new(Environment.ProcessorCount);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<int, HttpMessageInvoker> _invokers = new();

    /// <summary>
    /// HTTP/2: the connection client <paramref name="client"/> shares with the others of its group of
    /// <c>--clients-per-connection</c> (a handler each, so a group's streams ride one connection).
    /// </summary>
    public HttpMessageInvoker SharedInvoker(int client) => _invokers.GetOrAdd(client / Settings.ClientsPerConnection,
        _ => new HttpMessageInvoker(HttpStack.CreateHandler(Spec.Stack, BaseUri, Traffic)));

    /// <summary>Shared HTTP client for the polling transports (null for WebSocket runs).</summary>
    public PollHttp? Http { get; set; }

    /// <summary>
    /// Bounds the SSE clients' DELETEs at the end (each may need a connection of its own beside its stream), as
    /// <c>--connect-concurrency</c> bounds connecting: 10,000 at once would pass this machine's file-descriptor limit.
    /// </summary>
    public SemaphoreSlim CloseGate { get; } = new(settings.ConnectConcurrency);

    /// <summary>Stopwatch timestamp at which client loops start: the origin of open-loop schedules.</summary>
    public long StartTimestamp { get; set; }

    /// <summary>Cancelled when the measurement window ends: stop sending (echo) or stop receiving (push, idle).</summary>
    public CancellationToken Stop => _stop.Token;

    /// <summary>Cancelled when the drain time after <see cref="Stop"/> is over: replies still missing are lost.</summary>
    public CancellationToken Abort => _abort.Token;

    private readonly Lock _firstGate = new();

    /// <summary>first-message: what the clients' connections carried from nothing to their first reply, summed.</summary>
    public TrafficSnapshot FirstMessageTraffic { get; private set; }

    /// <summary>first-message: HTTP requests answered from nothing to the first reply, summed over the clients.</summary>
    public long FirstMessageRequests { get; private set; }

    public void AddFirstMessage(TrafficSnapshot traffic, long requests)
    {
        lock (_firstGate)
        {
            var t = FirstMessageTraffic;
            FirstMessageTraffic = new TrafficSnapshot(t.Up + traffic.Up, t.Down + traffic.Down, t.Connections + traffic.Connections)
            {
                WireUp = t.WireUp + traffic.WireUp,
                WireDown = t.WireDown + traffic.WireDown,
            };
            FirstMessageRequests += requests;
        }
    }

    public void SignalStop(TimeSpan drain)
    {
        _stop.Cancel();
        _abort.CancelAfter(drain);
    }

    public void AbortNow() => _abort.Cancel();

    public void Dispose()
    {
        _stop.Dispose();
        _abort.Dispose();
        CloseGate.Dispose();
        foreach (var invoker in _invokers.Values) invoker.Dispose();
    }
}
