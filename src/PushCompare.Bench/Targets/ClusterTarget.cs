namespace PushCompare.Bench.Targets;

/// <summary>
/// <c>--cluster N</c>: what the cluster command runs (<see cref="ClusterProcesses"/>: a private redis-server and N
/// PushCompare.Web instances with <c>Backplane:Redis</c> set), with the gateway as a process of its own in front (or
/// <c>--gateways</c> of them), so its CPU and memory are measured beside the instances' and Redis's. A fresh cluster
/// per run, as a fresh app per run: nothing a run left in Redis is in the next one's figures.
/// </summary>
internal sealed class ClusterTarget(string name, int instances, int gateways, string webDll, string gatewayDll,
    IReadOnlyList<string> serverArgs, IReadOnlyList<string> serverEnv) : Target(name)
{
    /// <summary>
    /// The gateway's probes wait up to 5 s for /readyz (the cluster tests' value): a busy 2-core machine under load
    /// answers late, and an instance taken out of rotation mid-run would be measured as a fault.
    /// </summary>
    internal const string ProbeTimeout = "--Gateway:HealthCheckTimeout=00:00:05";

    public override string Kind => "cluster";

    public int Instances => instances;

    public int Gateways => gateways;

    public IReadOnlyList<string> ServerArgs => serverArgs;

    protected override async Task<TargetInstance> LaunchAsync(CancellationToken cancel)
    {
        foreach (var (what, dll) in new[] { ("app", webDll), ("gateway", gatewayDll) })
        {
            if (!File.Exists(dll))
            {
                throw new BenchSetupException($"The {what} was not found at {dll}: build it first ('dotnet build -c Release PushCompare.sln')" +
                    (what == "app" ? " or pass --server-dll PATH." : "."));
            }
        }
        // The bench's own settings for the app (no connect limit, ...) go to every instance: behind the gateway every
        // connection comes from 127.0.0.1, one address to the instances' connect limiter.
        var cluster = await ClusterProcesses.StartAsync(new ClusterSpec
        {
            WebDll = webDll,
            Instances = instances,
            InstanceArgs = serverArgs,
            InstanceEnv = serverEnv,
        }, cancel);
        var starting = Enumerable.Range(1, gateways).Select(i => DotnetApp.StartAsync(gateways == 1 ? "the gateway" : $"gateway {i}", gatewayDll,
            [.. cluster.GatewayDestinations, ProbeTimeout], [], cancel)).ToList();
        try
        {
            await Task.WhenAll(starting);
            var front = starting.Select(s => s.Result).ToList();
            await cluster.WaitUntilReadyAsync(front.Select(g => new Uri(g.Address, ClusterProcesses.ReadyPath)), cancel);
            var owned = new Owned(front.Select(g => g.Child).ToList(), cluster);
            return new TargetInstance(front[0].Address, pid: null, child: null)
            {
                Entries = [.. front.Select(g => g.Address)],
                RedisAddress = cluster.RedisAddress,
                Processes =
                [
                    .. front.Select((g, i) => new ServerProcess(gateways == 1 ? "gateway" : $"gateway{i + 1}", g.Child.Pid)),
                    .. cluster.Instances.Select(x => new ServerProcess(x.Name, x.Process.Pid)),
                    new ServerProcess("redis", cluster.OwnRedis!.Child.Pid),
                ],
                Children = [.. front.Select(g => g.Child), .. cluster.Instances.Select(x => x.Process), cluster.OwnRedis.Child],
                Owned = owned,
            };
        }
        catch
        {
            await new Owned([.. starting.Where(s => s.IsCompletedSuccessfully).Select(s => s.Result.Child)], cluster).DisposeAsync();
            throw;
        }
    }

    /// <summary>Stops the gateways first (no more requests reach the instances), then the instances and Redis.</summary>
    private sealed class Owned(IReadOnlyList<ChildProcess> gateways, ClusterProcesses cluster) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Task.WhenAll(gateways.Select(g => g.DisposeAsync().AsTask()));
            await cluster.DisposeAsync();
        }
    }
}
