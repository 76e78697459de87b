using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using PushCompare.Hosting;
using PushCompare.UnitTests.Infrastructure;

namespace PushCompare.UnitTests.Cluster;

/// <summary>One instance of the cluster: its process and its own address (tests go through the gateway; this is to look behind it).</summary>
public sealed class ClusterInstance(string name, ChildProcess process, Uri address)
{
    public string Name { get; } = name;
    public ChildProcess Process { get; } = process;
    public Uri Address { get; } = address;

    /// <summary>Whether this instance holds the WebSocket or session whose figures are named <paramref name="statsKey"/>.</summary>
    public async Task<bool> HoldsAsync(HttpClient http, string statsKey)
    {
        using var stats = JsonDocument.Parse(await http.GetStringAsync(new Uri(Address, $"/api/stats?session={Uri.EscapeDataString(statsKey)}")));
        return stats.RootElement.GetProperty("sessions").GetArrayLength() > 0;
    }
}

/// <summary>
/// A local cluster as processes, the way the cluster command runs it: a private redis-server, three PushCompare.Web
/// instances with <c>Backplane:Redis</c> set, and the gateway (round-robin, no affinity, active /readyz checks) in
/// front of them. Test limits: 2 s polls, 0.5 s SSE heartbeats, room for 10,000-message backlogs, no connect limit
/// (every client is 127.0.0.1 behind the gateway). Health checks tolerate a busy 2-core machine (5 s probe timeout),
/// and each instance's drain grace outlasts the gateway's removal of it.
/// </summary>
public class LocalClusterFixture : IAsyncLifetime, IAsyncDisposable
{
    public const int InstanceCount = 3;
    private static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(1), ProbeTimeout = TimeSpan.FromSeconds(5);
    private const int FailuresBeforeRemoval = 2;

    /// <summary>As the cluster command computes it: every failed probe in a row, each up to an interval plus a timeout apart, and one interval more.</summary>
    public static readonly TimeSpan DrainGrace = (ProbeInterval + ProbeTimeout) * FailuresBeforeRemoval + ProbeInterval;

    private IAsyncDisposable? _redis;
    private readonly List<ClusterInstance> _instances = [];
    private ChildProcess? _gateway;

    public IReadOnlyList<ClusterInstance> Instances => _instances;

    /// <summary>The gateway: every test request goes here.</summary>
    public Uri Gateway { get; private set; } = null!;

    /// <summary>The Redis the instances share, and the <c>Backplane:Redis</c> setting that reaches it: a private redis-server.</summary>
    protected virtual async Task<(IAsyncDisposable Redis, string Configuration)> StartRedisAsync()
    {
        var redis = await RedisServer.StartNewAsync();
        return (redis, redis.Configuration);
    }

    public async Task InitializeAsync()
    {
        var (redis, configuration) = await StartRedisAsync();
        _redis = redis;
        string web = BuiltDll("PushCompare.WebDll"), gateway = BuiltDll("PushCompare.GatewayDll");
        var started = await Task.WhenAll(Enumerable.Range(1, InstanceCount).Select(i => DotnetApp.StartAsync($"instance web{i}", web, [
            $"Backplane:Redis={configuration}",
            $"Health:DrainGrace={DrainGrace:c}",
            "LongPolling:PollTimeout=00:00:02",
            "ServerSentEvents:HeartbeatInterval=00:00:00.500",
            "Sessions:MaxBacklogMessages=100000",
            "Sessions:MaxBacklogBytes=100000000",
            "Security:ConnectBurst=1000000",
            "Security:TrustedProxies:0=127.0.0.1", // the gateway, as the cluster command trusts it
            "WebSockets:KeepAliveTimeout=00:05:00", // a test's WebSockets wait unread (their pings unanswered) while a run goes on
        ], [], CancellationToken.None, stopTimeout: DrainGrace + TimeSpan.FromSeconds(20))));
        for (int i = 0; i < started.Length; i++) _instances.Add(new ClusterInstance($"web{i + 1}", started[i].Child, started[i].Address));

        var (child, address) = await DotnetApp.StartAsync("the gateway", gateway, [
            $"Gateway:HealthCheckInterval={ProbeInterval:c}",
            $"Gateway:HealthCheckTimeout={ProbeTimeout:c}",
            $"Gateway:FailuresBeforeRemoval={FailuresBeforeRemoval}",
            .. _instances.Select((instance, i) => $"Gateway:Destinations:{i}={instance.Address}"),
        ], [], CancellationToken.None);
        _gateway = child;
        Gateway = address;
        await WaitUntilEveryInstanceServesAsync();
    }

    /// <summary>An HTTP client to the gateway; each has its own connections (SocketsHttpHandler), as separate browsers would.</summary>
    public HttpClient CreateClient() => new(new SocketsHttpHandler { MaxConnectionsPerServer = 4 }) { BaseAddress = Gateway };

    /// <summary>A WebSocket through the gateway, named <paramref name="client"/> in the figures so a test can find its instance.</summary>
    public async Task<ClientWebSocket> ConnectWebSocketAsync(string client)
    {
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri($"ws://{Gateway.Authority}/ws?client={client}"), new CancellationTokenSource(Eventually.DefaultDeadline).Token);
        return socket;
    }

    /// <summary>The instance that holds the connection or session named <paramref name="statsKey"/>.</summary>
    public async Task<ClusterInstance> InstanceOfAsync(string statsKey)
    {
        using var http = new HttpClient();
        foreach (var instance in _instances.Where(i => !i.Process.HasExited))
        {
            if (await instance.HoldsAsync(http, statsKey)) return instance;
        }
        throw new Xunit.Sdk.XunitException($"No instance holds '{statsKey}'.");
    }

    // Ready, and reachable through the gateway: round-robin over three, so enough requests reach every instance.
    private async Task WaitUntilEveryInstanceServesAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        foreach (var instance in _instances)
        {
            await Eventually.AssertAsync(async () => await OkAsync(http, new Uri(instance.Address, "/readyz")), $"{instance.Name} is ready",
                TimeSpan.FromSeconds(60));
        }
        await Eventually.AssertAsync(async () => await OkAsync(http, new Uri(Gateway, "/readyz")), "the gateway forwards", TimeSpan.FromSeconds(60));
    }

    private static async Task<bool> OkAsync(HttpClient http, Uri url)
    {
        try
        {
            using var response = await http.GetAsync(url);
            return response.StatusCode == HttpStatusCode.OK;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    private static string BuiltDll(string key) =>
        DotnetApp.BuildMetadata(typeof(LocalClusterFixture).Assembly, key) ?? throw new InvalidOperationException($"No {key} recorded at build time.");

    ValueTask IAsyncDisposable.DisposeAsync() => new(DisposeAsync());

    public async Task DisposeAsync()
    {
        // Killed, not stopped: a SIGTERM would have each instance serve out its drain grace (13 s) for clients that are
        // gone; the tests that are about stopping an instance stop it themselves.
        foreach (var instance in _instances.Where(i => !i.Process.HasExited)) instance.Process.Kill();
        if (_gateway is not null) await _gateway.DisposeAsync();
        await Task.WhenAll(_instances.Select(i => i.Process.DisposeAsync().AsTask()));
        if (_redis is not null) await _redis.DisposeAsync();
    }
}

/// <summary>The same cluster on a real Redis Cluster of three masters: <c>Backplane:Redis</c> is the masters' seed list.</summary>
public sealed class RedisClusterBackplane : LocalClusterFixture
{
    protected override async Task<(IAsyncDisposable Redis, string Configuration)> StartRedisAsync()
    {
        var redis = await RedisCluster.StartAsync();
        return (redis, redis.Configuration);
    }
}
