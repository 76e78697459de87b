using System.Net.WebSockets;
using PushCompare.UnitTests.Infrastructure;
using PushCompare.UnitTests.Reliability;
using Xunit.Abstractions;

namespace PushCompare.UnitTests.Cluster;

/// <summary>
/// Through the round-robin gateway over three instances sharing one Redis: long polling and SSE lose and
/// duplicate nothing while every request of a session may land on another instance, polls die mid-response, streams
/// are cut and sends are repeated (10 % of each). The same clients as the single-instance faults (Reliability/).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterFaultTests(LocalClusterFixture cluster, ITestOutputHelper output) : IClassFixture<LocalClusterFixture>
{
    // A bound on a 10,000-message run, not a speed target: on a three-master Redis Cluster with the three test projects
    // sharing two cores the SSE run has taken over 3 minutes (1 minute alone).
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(5);

    internal static IFaultInjectingClient Client(string transport, HttpClient http, int seed, double faults = 0.10) => transport switch
    {
        "longpoll" => new FaultInjectingPollClient(http, new Random(seed), repeatSendRate: faults, abortPollRate: faults),
        _ => new FaultInjectingStreamClient(http, new Random(seed), repeatSendRate: faults, cutStreamRate: faults),
    };

    [Theory]
    [InlineData("longpoll")]
    [InlineData("sse")]
    // 3,000 with the faults of the single-instance run's 10,000 (RedisFaultInjectionTests): through the gateway each
    // message costs three processes' CPU, and on two cores the suite's time is that CPU.
    public Task Three_thousand_messages_through_one_session_over_three_instances_arrive_exactly_once_in_order(string transport) =>
        OneSessionAsync(cluster, transport, output);

    [Theory]
    [InlineData("longpoll")]
    [InlineData("sse")]
    public Task Fifty_sessions_of_200_messages_over_three_instances_arrive_exactly_once_in_order(string transport) =>
        FiftySessionsAsync(cluster, transport, output);

    internal static async Task OneSessionAsync(LocalClusterFixture cluster, string transport, ITestOutputHelper output, int messages = 3_000)
    {
        using var http = cluster.CreateClient();
        using var cancel = new CancellationTokenSource(Bound);

        var run = await Client(transport, http, 6455).RunAsync(messages, cancel.Token);

        output.WriteLine($"{transport}: {run}");
        FaultInjectionTests.AssertExactlyOnce(run, messages);
    }

    internal static async Task FiftySessionsAsync(LocalClusterFixture cluster, string transport, ITestOutputHelper output)
    {
        using var cancel = new CancellationTokenSource(Bound);
        var runs = await Task.WhenAll(Enumerable.Range(0, 50).Select(async i =>
        {
            using var http = cluster.CreateClient();
            return await Client(transport, http, i).RunAsync(200, cancel.Token);
        }));

        output.WriteLine($"{transport}: {FaultRun.Sum(runs)}");
        foreach (var run in runs) FaultInjectionTests.AssertExactlyOnce(run, 200);
    }

    [Fact]
    public async Task WebSockets_are_spread_over_every_instance_and_echo_through_the_gateway()
    {
        var sockets = new List<(string Key, ClientWebSocket Socket)>();
        try
        {
            for (int i = 0; i < 2 * LocalClusterFixture.InstanceCount; i++)
            {
                string key = $"spread-{i}-{Guid.NewGuid():N}";
                sockets.Add((key, await cluster.ConnectWebSocketAsync(key)));
            }
            foreach (var (key, socket) in sockets) Assert.Equal($"Received: {key}", await socket.EchoTextAsync(key));

            var holders = new HashSet<string>();
            foreach (var (key, _) in sockets) holders.Add((await cluster.InstanceOfAsync(key)).Name);
            Assert.Equal(cluster.Instances.Select(i => i.Name).ToHashSet(), holders); // round-robin: every instance got some
        }
        finally
        {
            foreach (var (_, socket) in sockets) socket.Dispose();
        }
    }
}

/// <summary>
/// Cluster tests start several processes each: one class at a time per collection, so they do not starve each other of
/// the 2 cores. Two such collections (this and <see cref="ClusterFailureCollection"/>) run beside each other and beside
/// the in-process tests (what those count is their own apps' traffic, never a cluster's); both start first, being the
/// longest: one collection for all of them took 10 minutes on its own once the balancers' runs joined.
/// </summary>
[CollectionDefinition(Name)]
[LongRunning]
public sealed class ClusterCollection
{
    public const string Name = "cluster";
}

/// <summary>Cluster runs that kill, drain or restart instances, and the Redis Cluster's: the second cluster collection.</summary>
[CollectionDefinition(Name)]
[LongRunning]
public sealed class ClusterFailureCollection
{
    public const string Name = "cluster: failures";
}
