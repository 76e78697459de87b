using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using PushCompare.UnitTests.Infrastructure;
using PushCompare.UnitTests.Reliability;
using Xunit.Abstractions;

namespace PushCompare.UnitTests.Cluster;

/// <summary>
/// An instance dies (<c>kill -9</c>) or is drained (SIGTERM, as a rolling restart does) under load. Each test
/// has a cluster of its own, since it takes an instance away.
/// </summary>
[Collection(ClusterFailureCollection.Name)]
public sealed class InstanceFailureTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(3);
    // The kill lands in the middle of a run of 24 sessions x 200 messages per transport with 10 % of polls
    // aborted, streams cut and sends repeated; the drain runs a lighter load beside its page and WebSocket traffic.
    private const int KillSessions = 24, KillMessages = 200;
    private const int Sessions = 4, Messages = 300;
    // The drain's page and WebSocket traffic is paced: a request every few milliseconds samples every moment of a drain
    // that lasts seconds, and loops left unpaced took both cores from everything else the suite runs beside them.
    private static readonly TimeSpan PagePace = TimeSpan.FromMilliseconds(20), WebSocketPace = TimeSpan.FromMilliseconds(50);

    [Fact]
    public Task Killing_an_instance_mid_run_loses_and_duplicates_nothing_on_polling_and_SSE_and_fails_its_WebSockets() =>
        KillMidRunAsync(new LocalClusterFixture(), output);

    [Fact]
    public Task Killing_an_instance_mid_run_on_a_Redis_Cluster_loses_and_duplicates_nothing_on_polling_and_SSE() =>
        KillMidRunAsync(new RedisClusterBackplane(), output);

    /// <summary>24 sessions x 200 messages per transport with 10 % faults, and <c>kill -9</c> of one instance in the middle.</summary>
    internal static async Task KillMidRunAsync(LocalClusterFixture fixture, ITestOutputHelper output)
    {
        await using var cluster = await StartClusterAsync(fixture);
        var victim = cluster.Instances[1];
        var sockets = await OpenWebSocketsAsync(cluster, 2 * LocalClusterFixture.InstanceCount);
        var onVictim = new List<ClientWebSocket>();
        var elsewhere = new List<(string Key, ClientWebSocket Socket)>();
        foreach (var (key, socket) in sockets)
        {
            if ((await cluster.InstanceOfAsync(key)).Name == victim.Name) onVictim.Add(socket);
            else elsewhere.Add((key, socket));
        }
        Assert.NotEmpty(onVictim);
        var victimEnds = onVictim.Select(ReceiveEndAsync).ToArray(); // pending reads, ended by the kill
        // Every socket is read all along: a client answers the server's keep-alive pings only while it reads, and one
        // left unread that long is dropped for its missing pong (or cut by a balancer's idle timeout once pings stop).
        var elsewhereReplies = elsewhere.Select(e => (e.Key, e.Socket, Reply: NextTextAsync(e.Socket))).ToList();

        using var cancel = new CancellationTokenSource(Bound);
        var runs = RunSessionsAsync(cluster, cancel.Token, KillSessions, KillMessages);
        await Eventually.AssertAsync(async () => await MessagesOutAsync(victim) >= 1000, $"{victim.Name} has delivered some of the run",
            TimeSpan.FromSeconds(60));
        Assert.False(runs.IsCompleted, "the run ended before the kill"); // mid-run, or the test proves nothing
        victim.Process.Kill();
        output.WriteLine($"killed {victim.Name} (pid {victim.Process.Pid}) mid-run");

        foreach (var end in victimEnds) await end.Within("a WebSocket of the killed instance ends with an error or a close");
        foreach (var (key, socket, reply) in elsewhereReplies)
        {
            await socket.SendTextAsync($"after {key}");
            Assert.Equal($"Received: after {key}", await reply.Within("a WebSocket of a surviving instance echoes"));
        }

        var results = await runs;
        var total = FaultRun.Sum(results);
        output.WriteLine($"polling and SSE: {total}");
        foreach (var run in results) FaultInjectionTests.AssertExactlyOnce(run, KillMessages, serverFailures: true);
        Assert.True(total.Failures > 0, $"the kill failed no request, so it proved nothing: {total}");
        foreach (var (_, socket) in sockets) socket.Dispose();
    }

    [Fact]
    public async Task Draining_an_instance_under_load_fails_no_request()
    {
        await using var cluster = await StartClusterAsync(new LocalClusterFixture());
        await UnderLoadFailsNoRequestAsync(cluster, output, async cancel =>
        {
            var victim = cluster.Instances[0];
            await DrainAsync(victim, output, cancel);
            Assert.Equal(0, victim.Process.ExitCode);
        });
    }

    /// <summary>SIGTERM, as an orchestrator stops an instance, and its exit after the drain grace.</summary>
    internal static async Task DrainAsync(ClusterInstance victim, ITestOutputHelper output, CancellationToken cancel)
    {
        Assert.True(victim.Process.Terminate(), "SIGTERM could not be sent");
        output.WriteLine($"SIGTERM to {victim.Name}; its drain grace is {LocalClusterFixture.DrainGrace}");
        await victim.Process.WaitForExitAsync(cancel).Within($"{victim.Name} exits after its drain", LocalClusterFixture.DrainGrace + TimeSpan.FromSeconds(30));
    }

    /// <summary>
    /// Page requests, short WebSockets and polling and SSE sessions (no injected faults) through the front, round-robin
    /// over the instances, while <paramref name="disruption"/> stops and starts instances; then no request failed
    /// (a WebSocket closed 1001 by a draining instance is its goodbye, not a failure), and the sessions lost, duplicated
    /// and reordered nothing. The sessions run until the disruption is over, one after another per client.
    /// </summary>
    internal static async Task UnderLoadFailsNoRequestAsync(LocalClusterFixture cluster, ITestOutputHelper output, Func<CancellationToken, Task> disruption)
    {
        using var cancel = new CancellationTokenSource(Bound + Bound);
        using var stopLoad = new CancellationTokenSource();
        var failures = new List<string>();
        int pages = 0, echoes = 0, goingAway = 0;

        // Stateless requests and short WebSockets, round-robin over the instances, until the disruption is over.
        async Task PageLoopAsync()
        {
            using var http = cluster.CreateClient();
            using var pace = new PeriodicTimer(PagePace);
            while (!stopLoad.IsCancellationRequested && await pace.WaitForNextTickAsync(CancellationToken.None))
            {
                try
                {
                    using var response = await http.GetAsync("/api/stats", cancel.Token);
                    if (response.StatusCode == HttpStatusCode.OK) Interlocked.Increment(ref pages);
                    else lock (failures) failures.Add($"GET /api/stats answered {(int)response.StatusCode}");
                }
                catch (Exception ex) when (!cancel.IsCancellationRequested)
                {
                    lock (failures) failures.Add($"GET /api/stats failed: {ex.Message}");
                }
            }
        }
        async Task WebSocketLoopAsync(int worker)
        {
            using var pace = new PeriodicTimer(WebSocketPace);
            for (int i = 0; !stopLoad.IsCancellationRequested && await pace.WaitForNextTickAsync(CancellationToken.None); i++)
            {
                string key = $"drain-{worker}-{i}-{Guid.NewGuid():N}";
                try
                {
                    using var socket = await cluster.ConnectWebSocketAsync(key);
                    await socket.SendTextAsync(key);
                    var reply = await socket.ReceiveMessageAsync();
                    if (reply.Type == WebSocketMessageType.Close && reply.CloseStatus == WebSocketCloseStatus.EndpointUnavailable)
                        Interlocked.Increment(ref goingAway); // the drained instance's goodbye (1001): a close, not a failure
                    else if (reply.Text == $"Received: {key}") Interlocked.Increment(ref echoes);
                    else lock (failures) failures.Add($"WebSocket echo answered {reply.Type} {reply.CloseStatus} '{reply.Text}'");
                    if (socket.State == WebSocketState.Open) await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, cancel.Token);
                }
                catch (Exception ex) when (!cancel.IsCancellationRequested)
                {
                    lock (failures) failures.Add($"WebSocket {key} failed: {ex.Message}");
                }
            }
        }
        async Task<List<FaultRun>> SessionLoopAsync(string transport, int client)
        {
            var runs = new List<FaultRun>();
            using var http = cluster.CreateClient();
            for (int i = 0; !stopLoad.IsCancellationRequested; i++)
                runs.Add(await ClusterFaultTests.Client(transport, http, client * 1000 + i, faults: 0).RunAsync(Messages, cancel.Token));
            return runs;
        }

        var load = Task.WhenAll(Enumerable.Range(0, 3).Select(_ => PageLoopAsync()).Concat(Enumerable.Range(0, 2).Select(WebSocketLoopAsync)));
        var sessions = Task.WhenAll(new[] { "longpoll", "sse" }.SelectMany(transport => Enumerable.Range(0, Sessions).Select(i => SessionLoopAsync(transport, i))));
        await Eventually.AssertAsync(async () => (await Task.WhenAll(cluster.Instances.Select(MessagesOutAsync))).All(n => n >= 100),
            "every instance has delivered some of the sessions' messages", TimeSpan.FromSeconds(60));
        await disruption(cancel.Token);
        await stopLoad.CancelAsync();
        await load;
        var results = (await sessions).SelectMany(r => r).ToList();

        output.WriteLine($"pages {pages}, echoes {echoes}, WebSockets closed 1001 by a drain {goingAway}, failures {failures.Count}");
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures.Take(20)));
        Assert.True(pages > 0 && echoes > 0, "the load never ran");
        var total = FaultRun.Sum(results);
        output.WriteLine($"polling and SSE: {results.Count} sessions, {total}");
        foreach (var run in results)
        {
            Assert.Equal(Messages, run.Received);
            Assert.Equal(0, run.Duplicated);
            Assert.Equal(0, run.OutOfOrder);
        }
        Assert.True(total.Failures == 0, $"a polling or SSE request failed: {total}");
    }

    /// <summary>Starts <paramref name="cluster"/>, a cluster of its own for one test that takes an instance away.</summary>
    internal static async Task<LocalClusterFixture> StartClusterAsync(LocalClusterFixture cluster)
    {
        try
        {
            await cluster.InitializeAsync();
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    // Sessions of both kinds, each on its own connections, all through the gateway.
    private static Task<FaultRun[]> RunSessionsAsync(LocalClusterFixture cluster, CancellationToken cancel, int sessions, int messages, double faults = 0.10) =>
        Task.WhenAll(new[] { "longpoll", "sse" }.SelectMany(transport => Enumerable.Range(0, sessions).Select(async i =>
        {
            using var http = cluster.CreateClient();
            return await ClusterFaultTests.Client(transport, http, i, faults).RunAsync(messages, cancel);
        })));

    private static async Task<List<(string Key, ClientWebSocket Socket)>> OpenWebSocketsAsync(LocalClusterFixture cluster, int count)
    {
        var sockets = new List<(string, ClientWebSocket)>();
        for (int i = 0; i < count; i++)
        {
            string key = $"ws-{i}-{Guid.NewGuid():N}";
            var socket = await cluster.ConnectWebSocketAsync(key);
            Assert.Equal($"Received: {key}", await socket.EchoTextAsync(key));
            sockets.Add((key, socket));
        }
        return sockets;
    }

    // The next text message, however long it takes (the pings in between are answered while it waits); null at a close.
    private static async Task<string?> NextTextAsync(ClientWebSocket socket)
    {
        var buffer = new byte[1024];
        var text = new MemoryStream();
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, CancellationToken.None);
            if (result.MessageType == WebSocketMessageType.Close) return null;
            text.Write(buffer, 0, result.Count);
            if (result.EndOfMessage) return System.Text.Encoding.UTF8.GetString(text.ToArray());
        }
    }

    // Completes when the socket ends: an error (the TCP connection reset) or a close frame both count.
    private static async Task ReceiveEndAsync(ClientWebSocket socket)
    {
        try
        {
            var buffer = new byte[256];
            while ((await socket.ReceiveAsync(buffer, CancellationToken.None)).MessageType != WebSocketMessageType.Close) { }
        }
        catch (WebSocketException)
        {
            // The connection died under it: what a client of a dead instance should see.
        }
    }

    // Messages the instance delivered on the HTTP transports (polls and streams), read from it directly.
    internal static async Task<long> MessagesOutAsync(ClusterInstance instance)
    {
        using var http = new HttpClient();
        using var stats = JsonDocument.Parse(await http.GetStringAsync(new Uri(instance.Address, "/api/stats")));
        var transports = stats.RootElement.GetProperty("transports");
        return new[] { "longpoll", "sse" }.Sum(id => transports.GetProperty(id).GetProperty("messagesOut").GetInt64());
    }
}
