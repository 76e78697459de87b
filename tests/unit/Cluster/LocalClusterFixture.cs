using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using PushCompare.Hosting;
using PushCompare.Hosting.Proxies;
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
    private string[] _instanceArgs = [];
    private IAsyncDisposable? _front;

    public IReadOnlyList<ClusterInstance> Instances => _instances;

    /// <summary>The gateway (or the balancer in its place): every test request goes here.</summary>
    public Uri Gateway { get; private set; } = null!;

    // The client's default (5 s) and then some: these runs check what faults of instances and connections lose, and at
    // load 70 on two cores a script's round trip took over the other tests' 2 s, answering 503 where nothing had failed.
    // No test here stops Redis (RedisOutageTests do, with their short timeouts).
    protected const int RedisTimeoutMs = 10_000;

    /// <summary>The Redis the instances share, and the <c>Backplane:Redis</c> setting that reaches it: a private redis-server.</summary>
    protected virtual async Task<(IAsyncDisposable Redis, string Configuration)> StartRedisAsync()
    {
        var redis = await RedisServer.StartNewAsync();
        return (redis, redis.ConfigurationWithTimeout(RedisTimeoutMs));
    }

    public async Task InitializeAsync()
    {
        var (redis, configuration) = await StartRedisAsync();
        _redis = redis;
        _instanceArgs = [
            $"Backplane:Redis={configuration}",
            $"Health:DrainGrace={DrainGrace:c}",
            "LongPolling:PollTimeout=00:00:02",
            "ServerSentEvents:HeartbeatInterval=00:00:00.500",
            "Sessions:MaxBacklogMessages=100000",
            "Sessions:MaxBacklogBytes=100000000",
            "Security:ConnectBurst=1000000",
            "Security:TrustedProxies:0=127.0.0.1", // the gateway or balancer, as the cluster command trusts it
            "WebSockets:KeepAliveTimeout=00:05:00", // a test's WebSockets wait unread (their pings unanswered) while a run goes on
        ];
        var started = await Task.WhenAll(Enumerable.Range(1, InstanceCount).Select(i => StartInstanceAsync($"web{i}", port: 0)));
        _instances.AddRange(started);
        (_front, Gateway) = await StartFrontAsync([.. _instances.Select(i => i.Address)]);
        await WaitUntilEveryInstanceServesAsync();
    }

    /// <summary>What stands in front of the instances: the gateway, as the cluster command runs it.</summary>
    protected virtual async Task<(IAsyncDisposable Front, Uri Address)> StartFrontAsync(IReadOnlyList<Uri> instances)
    {
        var (child, address) = await DotnetApp.StartAsync("the gateway", BuiltDll("PushCompare.GatewayDll"), [
            $"Gateway:HealthCheckInterval={ProbeInterval:c}",
            $"Gateway:HealthCheckTimeout={ProbeTimeout:c}",
            $"Gateway:FailuresBeforeRemoval={FailuresBeforeRemoval}",
            .. instances.Select((instance, i) => $"Gateway:Destinations:{i}={instance}"),
        ], [], CancellationToken.None);
        return (child, address);
    }

    private async Task<ClusterInstance> StartInstanceAsync(string name, int port)
    {
        var (child, address) = await DotnetApp.StartAsync($"instance {name}", BuiltDll("PushCompare.WebDll"), _instanceArgs, [], CancellationToken.None,
            port: port, stopTimeout: DrainGrace + TimeSpan.FromSeconds(20));
        return new ClusterInstance(name, child, address);
    }

    /// <summary>
    /// Starts <paramref name="instance"/> again (after it exited) on its own port, as a rolling restart does, and waits
    /// until it is ready; the balancer in front finds it there again. Returns the new one, which replaces it in <see cref="Instances"/>.
    /// </summary>
    public async Task<ClusterInstance> StartAgainAsync(ClusterInstance instance)
    {
        if (!instance.Process.HasExited) throw new InvalidOperationException($"{instance.Name} still runs: stop it first.");
        await instance.Process.DisposeAsync();
        var again = await StartInstanceAsync(instance.Name, instance.Address.Port);
        _instances[_instances.IndexOf(instance)] = again;
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        await Eventually.AssertAsync(async () => await OkAsync(http, new Uri(again.Address, "/readyz")), $"{again.Name} is ready again", TimeSpan.FromSeconds(60));
        return again;
    }

    /// <summary>Where clients connect: the gateway, or each of the balancers in front (successive clients take turns).</summary>
    protected virtual IReadOnlyList<Uri> Fronts => [Gateway];

    private int _clients;

    private Uri NextFront()
    {
        var fronts = Fronts;
        return fronts[(int)((uint)Interlocked.Increment(ref _clients) % (uint)fronts.Count)];
    }

    /// <summary>An HTTP client to the gateway (or the next balancer); each has its own connections (SocketsHttpHandler), as separate browsers would.</summary>
    public HttpClient CreateClient() => new(new SocketsHttpHandler { MaxConnectionsPerServer = 4 }) { BaseAddress = NextFront() };

    /// <summary>A WebSocket through the gateway (or the next balancer), named <paramref name="client"/> in the figures so a test can find its instance.</summary>
    public async Task<ClientWebSocket> ConnectWebSocketAsync(string client)
    {
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri($"ws://{NextFront().Authority}/ws?client={client}"), new CancellationTokenSource(Eventually.DefaultDeadline).Token);
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
        foreach (var front in Fronts)
            await Eventually.AssertAsync(async () => await OkAsync(http, new Uri(front, "/readyz")), $"{front} forwards", TimeSpan.FromSeconds(60));
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
        if (_front is not null) await _front.DisposeAsync();
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
        return (redis, redis.ConfigurationWithTimeout(RedisTimeoutMs));
    }
}

/// <summary>
/// The same cluster behind real load balancers instead of the gateway: nginx and/or HAProxy, each running its shipped
/// configuration (deploy/nginx.conf, deploy/haproxy.cfg) exactly, filled in only with loopback ports and paths. With
/// both, the clients take turns between them (two balancers side by side in front of the same instances).
/// </summary>
public abstract class BalancedCluster(params ProxyProgram[] programs) : LocalClusterFixture
{
    private readonly List<ProxyProcess> _balancers = [];

    protected override IReadOnlyList<Uri> Fronts => [.. _balancers.Select(b => b.Address)];

    protected override async Task<(IAsyncDisposable Front, Uri Address)> StartFrontAsync(IReadOnlyList<Uri> instances)
    {
        foreach (var program in programs)
            _balancers.Add(await ProxyProcess.StartBalancerAsync(program, await File.ReadAllTextAsync(ShippedConfiguration(program)), instances, CancellationToken.None));
        return (new Balancers(_balancers), _balancers[0].Address);
    }

    /// <summary>deploy/nginx.conf or deploy/haproxy.cfg in the source tree.</summary>
    public static string ShippedConfiguration(ProxyProgram program) => ProxyProcess.ShippedConfigurationPath(program,
        DotnetApp.BuildMetadata(typeof(BalancedCluster).Assembly, "PushCompare.DeployFolder") ?? throw new InvalidOperationException("No PushCompare.DeployFolder recorded at build time."));

    private sealed class Balancers(IReadOnlyList<ProxyProcess> balancers) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            foreach (var balancer in balancers) await balancer.DisposeAsync();
        }
    }
}

/// <summary>nginx and HAProxy side by side in front of the same three instances.</summary>
public sealed class NginxAndHaproxyCluster() : BalancedCluster(ProxyProgram.Nginx, ProxyProgram.Haproxy);

/// <summary>HAProxy alone in front, with its active /readyz checks.</summary>
public sealed class HaproxyCluster() : BalancedCluster(ProxyProgram.Haproxy);
