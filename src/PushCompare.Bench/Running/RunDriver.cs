using System.Diagnostics;
using PushCompare.Bench.Cli;
using PushCompare.Bench.Clients;
using PushCompare.Bench.Metrics;
using PushCompare.Bench.Reporting;
using PushCompare.Bench.Targets;
using PushCompare.Bench.Transports;

namespace PushCompare.Bench.Running;

/// <summary>
/// Runs one <see cref="RunSpec"/> against one target: start the server, connect the clients, warm up, measure a
/// window (bytes, counts, latency, CPU and memory snapshotted at its edges), stop, drain, and check the results.
/// </summary>
internal sealed class RunDriver(BenchSettings settings, IProgressSink progress)
{
    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);

    public async Task<RunResult> RunAsync(RunSpec spec, Target target, CancellationToken cancel)
    {
        var result = NewResult(spec, target);
        if (SkipReason(spec, target) is { } reason)
        {
            result.Skipped = reason;
            return result;
        }

        TargetInstance instance;
        try
        {
            instance = (await target.StartAsync(cancel)).OverLink(settings.Link);
        }
        catch (Hosting.ProcessSetupException ex) // the bench's own, and a child process that did not start
        {
            result.Problems.Add(ex.Message);
            return result;
        }

        await using (instance)
        {
            if (instance.BaseUriFor(spec.Stack) is not { } baseUri)
            {
                result.Problems.Add($"{target.Name} has no endpoint for {spec.Stack.Label}");
                return result;
            }
            if (settings.EchoClient == EchoClientKind.Node)
            {
                await NodeEchoRun.MeasureAsync(spec, settings, baseUri, instance, result, cancel);
                if (instance.Exited) result.Problems.Add($"the server exited during the run. Its last output:{Environment.NewLine}{instance.OutputTail}");
                return result;
            }
            using var context = new RunContext(spec, settings, baseUri);
            using var spread = instance.Entries.Count > 1 ? SocketFactory.SpreadOver(instance.Entries) : null;
            bool needsHttp = spec.Transport.NeedsSharedHttp(spec, settings);
            using var http = needsHttp ? new PollHttp(baseUri, spec.Headers, context.Traffic, spec.Stack, settings.ClientsPerConnection, settings.Compression) : null;
            context.Http = http;
            try
            {
                long? baseline = null;
                if (spec.Mode == RunMode.Idle)
                {
                    await ServerWarmup.RunAsync(baseUri, spec.Stack, Offered(target), cancel);
                    await Task.Delay(TimeSpan.FromSeconds(1), cancel);
                    baseline = ProcessSample.ReadAll(instance.Processes) is { } idle ? ProcessSample.Sum(idle).RssBytes : null;
                }
                var clients = Enumerable.Range(0, spec.Clients).Select(i => new BenchClient(context, i)).ToArray();
                await progress.RunAsync(report => spec.Mode == RunMode.FirstMessage
                    ? FirstMessagesAsync(context, instance, clients, result, report, cancel)
                    : MeasureAsync(spec, context, instance, clients, baseline, result, report, cancel));
            }
            catch (Exception ex) when (ex is HttpRequestException or System.Net.WebSockets.WebSocketException or InvalidOperationException)
            {
                result.Problems.Add($"the run could not start: {ex.Message}");
            }
            if (instance.Exited) result.Problems.Add($"the server exited during the run. Its last output:{Environment.NewLine}{instance.OutputTail}");
        }
        return result;
    }

    private async Task MeasureAsync(RunSpec spec, RunContext context, TargetInstance instance, BenchClient[] clients, long? rssBaseline,
        RunResult result, Action<ProgressState> report, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        // The progress line shows each phase's own time against that phase's length (the drain's is its upper bound).
        var phaseClock = Stopwatch.StartNew();
        double phaseLength = 0;
        double lastRateAt = 0;
        long lastReceived = 0;
        double? lastP99 = null;
        string phase = "connecting";

        void Enter(string name, double seconds)
        {
            phase = name;
            phaseLength = seconds;
            phaseClock.Restart();
        }

        void Report()
        {
            var sum = Sum(clients);
            double now = clock.Elapsed.TotalSeconds;
            double rate = now > lastRateAt ? (sum.Received - lastReceived) / (now - lastRateAt) : 0;
            lastRateAt = now;
            lastReceived = sum.Received;
            report(new ProgressState(spec.Title, phase, phaseClock.Elapsed.TotalSeconds, phaseLength, clients.Count(c => c.Connected), clients.Length, rate, lastP99,
                context.Errors.Count, sum.Lost));
        }

        // 1. Connect, a bounded number at a time so the server's accept backlog does not overflow. Push and idle clients
        // start their loops as soon as they are connected: a client left waiting for the others would leave its session
        // (idle timeout 30 s) or WebSocket (keep-alive pings unanswered, 15 s) unattended, and connecting 10,000 TLS
        // clients on a busy 2-core machine takes longer than that. Echo clients start together (one open-loop schedule).
        bool startOnConnect = spec.Mode is RunMode.Push or RunMode.Idle;
        var early = new System.Collections.Concurrent.ConcurrentQueue<Task>();
        var connecting = Parallel.ForEachAsync(clients, new ParallelOptions { MaxDegreeOfParallelism = settings.ConnectConcurrency, CancellationToken = cancel },
            async (client, ct) =>
            {
                try
                {
                    await client.ConnectAsync(ct);
                    if (startOnConnect) early.Enqueue(Task.Run(client.RunAsync, CancellationToken.None));
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    context.Errors.Add($"connect failed: {ex.GetBaseException().Message}");
                }
            });
        while (!connecting.IsCompleted)
        {
            await Task.WhenAny(connecting, Task.Delay(Tick, cancel));
            Report();
        }
        await connecting;
        result.ClientsConnected = clients.Count(c => c.Connected);
        clock.Restart();
        lastRateAt = 0;

        // 2. Start every client's loops (unless already running), and, for --broadcast, the publisher: every subscriber is
        // subscribed by now, so each must get tick 1 onwards. Then warm up: latencies recorded now are discarded.
        context.StartTimestamp = Stopwatch.GetTimestamp();
        var running = startOnConnect ? [.. early] : clients.Where(c => c.Connected).Select(c => Task.Run(c.RunAsync)).ToArray();
        var publisher = spec.Broadcast ? new BroadcastPublisher(context.BaseUri, settings.IntervalMs, context.Errors) : null;
        var publishing = publisher is null ? Task.CompletedTask : Task.Run(() => publisher.RunAsync(context.Stop));
        var all = Task.WhenAll(running);
        Enter("warm-up", settings.WarmupSeconds);
        while (clock.Elapsed.TotalSeconds < settings.WarmupSeconds && !all.IsCompleted)
        {
            await Task.WhenAny(all, Task.Delay(Min(Tick, TimeSpan.FromSeconds(settings.WarmupSeconds) - clock.Elapsed), cancel));
            lastP99 = LatencySummary.From(context.Latency.TakeInterval())?.P99Ms;
            Report();
        }
        // 3. The measurement window. Counts, latencies and bytes are read in the same order at both edges, so they cover the same messages.
        // A cluster's Redis is read over a connection opened before the window: one INFO at each edge and nothing else.
        await using var redis = instance.RedisAddress is { } address ? await RedisAsync(() => RedisInfoReader.ConnectAsync(address, cancel), result) : null;
        // Counts and latencies first and back to back: every reply is recorded then counted, so the fewer instructions
        // between the two reads, the fewer replies land in one and not the other.
        var startCounts = Sum(clients);
        context.Latency.TakeInterval();
        var startTraffic = context.Traffic.Snapshot();
        var startServer = ProcessSample.ReadAll(instance.Processes);
        var startRedis = redis is null ? null : await RedisAsync(() => redis.ReadAsync(cancel), result);
        var startSelf = ProcessSample.Self();
        long startAllocated = GC.GetTotalAllocatedBytes();
        var window = Stopwatch.StartNew();
        var windowLength = TimeSpan.FromSeconds(settings.DurationSeconds);
        Enter("measuring", settings.DurationSeconds);
        while (window.Elapsed < windowLength && !all.IsCompleted)
        {
            await Task.WhenAny(all, Task.Delay(Min(Tick, windowLength - window.Elapsed), cancel));
            var interval = context.Latency.TakeInterval();
            context.Latency.Accept(interval);
            lastP99 = LatencySummary.From(interval)?.P99Ms;
            Report();
        }
        double seconds = window.Elapsed.TotalSeconds;
        var endCounts = Sum(clients);
        context.Latency.Accept(context.Latency.TakeInterval());
        var endTraffic = context.Traffic.Snapshot();
        var endServer = ProcessSample.ReadAll(instance.Processes);
        var endRedis = redis is null ? null : await RedisAsync(() => redis.ReadAsync(cancel), result);
        var endSelf = ProcessSample.Self();
        long allocated = GC.GetTotalAllocatedBytes() - startAllocated;

        // 4. Stop: echo clients finish what is in flight, every client closes; then the accounting is complete.
        result.ClientLoopSeconds = Stopwatch.GetElapsedTime(context.StartTimestamp).TotalSeconds;
        context.SignalStop(TimeSpan.FromSeconds(settings.DrainSeconds));
        var deadline = TimeSpan.FromSeconds(settings.DrainSeconds + 15);
        Enter("draining", settings.DrainSeconds);
        Report();
        var draining = Stopwatch.StartNew();
        while (!all.IsCompleted && draining.Elapsed < deadline)
        {
            await Task.WhenAny(all, Task.Delay(Tick, CancellationToken.None));
            Report();
        }
        await publishing;
        result.Broadcast = publisher?.Stats;
        if (!all.IsCompleted)
        {
            context.AbortNow();
            result.Problems.Add($"{running.Count(t => !t.IsCompleted)} clients had not finished {deadline.TotalSeconds:0} s after the window ended");
        }

        result.WindowSeconds = seconds;
        result.Totals = Sum(clients);
        result.Window = endCounts - startCounts;
        result.WindowTraffic = endTraffic - startTraffic;
        result.Latency = LatencySummary.From(context.Latency.Total);
        result.ClientCpuSeconds = endSelf.CpuSeconds - startSelf.CpuSeconds;
        result.ClientCpuPercent = seconds > 0 ? 100 * result.ClientCpuSeconds / seconds : 0;
        result.ClientAllocatedBytesPerMessage = result.Window.Received > 0 ? (double)allocated / result.Window.Received : null;
        result.Server = ServerOverWindow(instance, startServer, endServer, result, rssBaseline);
        if (startRedis is not null && endRedis is not null) result.Redis = RedisCost.Between(startRedis, endRedis, result.Window.Received, seconds);
        ResultChecks.Complete(result, spec, settings, clients, context.Errors);
    }

    /// <summary>Longest a first message may take (connect, session, reply, close) before the run gives up on it.</summary>
    private static readonly TimeSpan FirstMessageTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// first-message: one client after another (so none waits for another's handshakes or shares its bandwidth), each
    /// from nothing: its own new connections, nothing reused from the one before. One unrecorded first message goes
    /// first, so the server's and the client's first-use code (JIT) is not in the figures.
    /// </summary>
    private async Task FirstMessagesAsync(RunContext context, TargetInstance instance, BenchClient[] clients, RunResult result,
        Action<ProgressState> report, CancellationToken cancel)
    {
        var spec = context.Spec;
        using (var warm = new RunContext(spec, settings, context.BaseUri))
        {
            await FirstMessageAsync(new BenchClient(warm, 0), warm, cancel);
            foreach (string error in warm.Errors.Samples()) context.Errors.Add($"warm-up: {error}");
        }
        var startServer = ProcessSample.ReadAll(instance.Processes);
        var startSelf = ProcessSample.Self();
        var clock = Stopwatch.StartNew();
        int done = 0;
        foreach (var client in clients)
        {
            if (cancel.IsCancellationRequested || !await FirstMessageAsync(client, context, cancel)) break;
            done++;
            report(new ProgressState(spec.Title, "first messages", clock.Elapsed.TotalSeconds, 0, done, clients.Length, 0, null, context.Errors.Count, 0));
        }
        double seconds = clock.Elapsed.TotalSeconds;
        var endServer = ProcessSample.ReadAll(instance.Processes);
        var endSelf = ProcessSample.Self();
        context.Latency.Accept(context.Latency.TakeInterval());
        result.ClientsConnected = clients.Count(c => c.Connected);
        result.WindowSeconds = seconds;
        result.ClientLoopSeconds = seconds;
        result.Totals = Sum(clients);
        // Up to each first reply: the requests and bytes of closing are not part of it.
        result.Window = result.Totals with { Requests = context.FirstMessageRequests };
        result.WindowTraffic = context.FirstMessageTraffic;
        result.Latency = LatencySummary.From(context.Latency.Total);
        result.ClientCpuSeconds = endSelf.CpuSeconds - startSelf.CpuSeconds;
        result.ClientCpuPercent = seconds > 0 ? 100 * result.ClientCpuSeconds / seconds : 0;
        result.Server = ServerOverWindow(instance, startServer, endServer, result, null);
        ResultChecks.Complete(result, spec, settings, clients, context.Errors);
    }

    /// <summary>One client from nothing to its first reply, then its close; false when it failed or did not finish in time.</summary>
    private async Task<bool> FirstMessageAsync(BenchClient client, RunContext context, CancellationToken cancel)
    {
        var spec = context.Spec;
        // A handler of its own: the client's polls, sends and (HTTP/2) streams open new connections, as a new page's would.
        using var http = spec.Transport.NeedsSharedHttp(spec, settings)
            ? new PollHttp(context.BaseUri, spec.Headers, context.Traffic, spec.Stack, settings.ClientsPerConnection, settings.Compression)
            : null;
        context.Http = http;
        try
        {
            await client.ConnectAsync(cancel).WaitAsync(FirstMessageTimeout, cancel);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancel.IsCancellationRequested)
        {
            context.Errors.Add($"connect failed: {ex.GetBaseException().Message}");
            await client.Connection.CloseAsync();
            return false;
        }
        try
        {
            await client.RunAsync().WaitAsync(FirstMessageTimeout, cancel);
            return true;
        }
        catch (TimeoutException)
        {
            context.Errors.Add($"no first message and close within {FirstMessageTimeout.TotalSeconds:0} s");
            context.AbortNow();
            return false;
        }
    }

    /// <summary>
    /// The server's CPU and memory between samples of its processes at the window's edges (null when they cannot be
    /// seen): for a cluster the sums, and each process in <see cref="ServerStats.Processes"/>.
    /// </summary>
    internal static ServerStats? ServerOverWindow(TargetInstance instance, ProcessSample[]? start, ProcessSample[]? end, RunResult result, long? rssBaseline)
    {
        if (start is not { } each0 || end is not { } each1) return null;
        var (s0, s1) = (ProcessSample.Sum(each0), ProcessSample.Sum(each1));
        double cpu = s1.CpuSeconds - s0.CpuSeconds;
        double seconds = result.WindowSeconds;
        long messages = result.Window.Received;
        double? perConnection = rssBaseline is { } b && result.ClientsConnected > 0 ? (double)(s1.RssBytes - b) / result.ClientsConnected : null;
        return new ServerStats(instance.Processes[0].Pid, cpu, seconds > 0 ? 100 * cpu / seconds : 0, messages > 0 ? cpu * 1e6 / messages : null,
            s0.RssBytes, s1.RssBytes, rssBaseline, perConnection)
        {
            // One row per process of a cluster (gateways, instances, Redis); the figures above are their sums.
            Processes = instance.Processes.Count < 2 ? null : [.. instance.Processes.Select((p, i) => ProcessShare.Of(p, each0[i], each1[i], seconds, messages))],
        };
    }

    /// <summary>A Redis that cannot be read (it died, or is not Redis 7) fails the run, with the reason, rather than the bench.</summary>
    private static async Task<T?> RedisAsync<T>(Func<Task<T>> read, RunResult result) where T : class
    {
        try
        {
            return await read();
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or FormatException)
        {
            result.Problems.Add($"the cluster's Redis could not be read (INFO stats commandstats, Redis 7 or newer): {ex.Message}");
            return null;
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? (a > TimeSpan.Zero ? a : TimeSpan.Zero) : (b > TimeSpan.Zero ? b : TimeSpan.Zero);

    private static CounterTotals Sum(BenchClient[] clients)
    {
        var sum = default(CounterTotals);
        foreach (var c in clients) sum += c.Counters.Read();
        return sum;
    }

    private static string? SkipReason(RunSpec spec, Target target)
    {
        if (spec.Transport.UsesSessions && !target.SupportsPolling) return $"{target.Name} serves WebSocket only";
        if (spec.Mode == RunMode.Push && !target.SupportsPush) return $"{target.Name} has no server push";
        if (spec.Mode == RunMode.Idle && spec.Transport.IdleSkipReason is { } idle) return idle;
        if (spec.Stack.Tls && target is AppTarget { Tls: false }) return $"{target.Name} was started without TLS";
        return null;
    }

    /// <summary>A run that is reported but not made.</summary>
    public RunResult Skip(RunSpec spec, Target target, string reason)
    {
        var result = NewResult(spec, target);
        result.Skipped = reason;
        return result;
    }

    /// <summary>The transports the target offers that the bench can drive (a target without a registry: WebSocket only).</summary>
    private static List<BenchTransport> Offered(Target target) =>
        [.. TransportCatalog.All.Where(t => target.Offered?.Any(o => o.Id == t.Id) ?? !t.UsesSessions)];

    /// <summary>
    /// The request-header set a result is labelled with: the Node load client sends the ws package's handshake ("node");
    /// Chromium's set ("chromium"); otherwise "minimal", the same set on every transport and client: Host, and
    /// Content-Length and Content-Type on a POST (HttpClient, and the raw polling and SSE clients write exactly these),
    /// plus the headers a WebSocket upgrade requires.
    /// </summary>
    private string HeadersLabel(RunSpec spec) =>
        settings.EchoClient == EchoClientKind.Node ? "node" : spec.Headers == HeaderProfile.Chromium ? "chromium" : "minimal";

    private RunResult NewResult(RunSpec spec, Target target) => new()
    {
        Scenario = spec.Scenario,
        Mode = spec.Mode.ToString(),
        Target = target.Name,
        TargetKind = target.Kind,
        Transport = spec.Transport.Id,
        Protocol = spec.Stack.Id,
        Headers = HeadersLabel(spec),
        Round = spec.Round,
        Clients = spec.Clients,
        Size = settings.Size,
        IntervalMs = settings.IntervalMs,
        PollIntervalMs = settings.PollIntervalMs,
        OfferedRate = spec.Rate,
    };
}
