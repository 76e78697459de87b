namespace PushCompare.Hosting;

/// <summary>What <see cref="ClusterProcesses.StartAsync"/> starts.</summary>
public sealed record ClusterSpec
{
    /// <summary>The built PushCompare.Web.dll each instance runs.</summary>
    public required string WebDll { get; init; }

    /// <summary>Where the instances serve the page from (the source tree's wwwroot); null to leave the app's own default.</summary>
    public string? WebRoot { get; init; }

    public int Instances { get; init; } = 3;

    /// <summary>
    /// A Redis (host:port) to use when it answers PING; when it does not, or when null, a private redis-server is
    /// started in a temporary folder (<see cref="RedisProcess"/>), never the system's.
    /// </summary>
    public string? ExistingRedis { get; init; }

    /// <summary>After SIGTERM an instance keeps serving this long, so its gateway takes it out of rotation first (<c>Health:DrainGrace</c>).</summary>
    public TimeSpan DrainGrace { get; init; } = TimeSpan.Zero;

    /// <summary>More settings for every instance (Key=Value), after the cluster's own, so the same key set here wins.</summary>
    public IReadOnlyList<string> InstanceArgs { get; init; } = [];

    /// <summary>Environment variables for every instance (NAME=VALUE).</summary>
    public IReadOnlyList<string> InstanceEnv { get; init; } = [];

    /// <summary>Told every line a process prints, with its short name ("redis", "web1", ...).</summary>
    public Action<string, string>? OnLine { get; init; }
}

/// <summary>One PushCompare.Web instance of a cluster.</summary>
public sealed record ClusterInstance(string Name, ChildProcess Process, Uri Address);

/// <summary>
/// A local cluster but its gateway: Redis (an existing one, or a private redis-server) and N PushCompare.Web instances
/// with <c>Backplane:Redis</c> set, on free loopback ports. Shared by the cluster command, which runs the gateway in its
/// own process, and the bench, which starts it as a process of its own (to measure it): both start the same cluster
/// and put the gateway in front with <see cref="GatewayDestinations"/>. Disposing stops the instances, then a private Redis.
/// </summary>
public sealed class ClusterProcesses : IAsyncDisposable
{
    /// <summary>The path every instance answers 200 on once it can serve (Redis reachable, not draining).</summary>
    public const string ReadyPath = "/readyz";

    private ClusterProcesses(string redisAddress, RedisProcess? ownRedis, IReadOnlyList<ClusterInstance> instances)
    {
        RedisAddress = redisAddress;
        OwnRedis = ownRedis;
        Instances = instances;
    }

    /// <summary>host:port of the Redis the instances share.</summary>
    public string RedisAddress { get; }

    /// <summary>The redis-server this cluster started, or null when it uses an existing Redis.</summary>
    public RedisProcess? OwnRedis { get; }

    public IReadOnlyList<ClusterInstance> Instances { get; }

    /// <summary>The gateway's settings naming every instance, <c>--Gateway:Destinations:i=URL</c>.</summary>
    public IEnumerable<string> GatewayDestinations => Instances.Select((instance, i) => $"--Gateway:Destinations:{i}={instance.Address}");

    public static async Task<ClusterProcesses> StartAsync(ClusterSpec spec, CancellationToken cancel)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(spec.Instances, 1);
        RedisProcess? ownRedis = null;
        string redisAddress;
        if (spec.ExistingRedis is { } existing && await RedisProcess.AnswersPingAsync(existing, cancel))
        {
            redisAddress = existing;
        }
        else
        {
            ownRedis = await RedisProcess.StartAsync(cancel, spec.OnLine is { } log ? line => log("redis", line) : null);
            redisAddress = ownRedis.Address;
        }

        string[] args =
        [
            $"--Backplane:Redis={redisAddress}",
            $"--Health:DrainGrace={spec.DrainGrace:c}",
            "--Security:TrustedProxies:0=127.0.0.1", // the gateway, on this machine: its X-Forwarded-For names the client
            .. spec.WebRoot is { } root ? [$"--webroot={root}"] : Array.Empty<string>(),
            .. spec.InstanceArgs,
        ];
        // Started side by side: on a small machine each spends most of its start-up compiling, one core each.
        var starting = Enumerable.Range(1, spec.Instances).Select(i => $"web{i}").Select(name => (name, task: DotnetApp.StartAsync($"instance {name}",
            spec.WebDll, args, spec.InstanceEnv, cancel,
            onLine: spec.OnLine is { } log ? line => log(name, line) : null,
            stopTimeout: spec.DrainGrace + TimeSpan.FromSeconds(15)))).ToList();
        try
        {
            await Task.WhenAll(starting.Select(s => s.task));
        }
        catch
        {
            // Stop the ones that did start, and the private Redis, before reporting the one that did not.
            await Task.WhenAll(starting.Where(s => s.task.IsCompletedSuccessfully).Select(s => s.task.Result.Child.DisposeAsync().AsTask()));
            if (ownRedis is not null) await ownRedis.DisposeAsync();
            throw;
        }
        return new ClusterProcesses(redisAddress, ownRedis,
            [.. starting.Select(s => new ClusterInstance(s.name, s.task.Result.Child, s.task.Result.Address))]);
    }

    /// <summary>Waits until every instance's <see cref="ReadyPath"/> answers 200, and then every URL in <paramref name="through"/> (the gateway's).</summary>
    public Task WaitUntilReadyAsync(IEnumerable<Uri> through, CancellationToken cancel) =>
        WaitForOkAsync([.. Instances.Select(i => new Uri(i.Address, ReadyPath)), .. through], TimeSpan.FromSeconds(90), cancel);

    /// <summary>Waits until each URL answers 200, in turn; throws <see cref="ProcessSetupException"/> when one has not within <paramref name="within"/>.</summary>
    public static async Task WaitForOkAsync(IEnumerable<Uri> urls, TimeSpan within, CancellationToken cancel)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + within; // generous: a busy machine starts slowly
        foreach (var url in urls)
        {
            while (true)
            {
                try
                {
                    using var response = await http.GetAsync(url, cancel);
                    if (response.IsSuccessStatusCode) break;
                }
                catch (Exception ex) when (ex is HttpRequestException || (ex is TaskCanceledException && !cancel.IsCancellationRequested))
                {
                    // Not listening yet, or too slow to answer yet on a busy machine.
                }
                if (DateTime.UtcNow > deadline) throw new ProcessSetupException($"{url} did not answer 200 within {within.TotalSeconds:0} s.");
                await Task.Delay(100, cancel);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(Instances.Select(i => i.Process.DisposeAsync().AsTask()));
        if (OwnRedis is not null) await OwnRedis.DisposeAsync();
    }
}
