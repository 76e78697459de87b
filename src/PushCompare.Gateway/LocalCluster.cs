using System.Globalization;
using System.Runtime.InteropServices;
using PushCompare.Hosting;

namespace PushCompare.Gateway;

/// <summary>
/// <c>dotnet run --project src/PushCompare.Gateway -- cluster</c>: Redis (the one at <c>--redis host:port</c>, default
/// 127.0.0.1:6379, when it answers; else a private redis-server in a temporary folder), three PushCompare.Web instances
/// with <c>Backplane:Redis</c> set and the gateway in front of them, all on free loopback ports. It prints the page's
/// URL once every instance is ready; Ctrl-C or SIGTERM stops everything it started.
/// </summary>
internal static class LocalCluster
{
    /// <summary>The line the cluster prints when it is ready; tests and scripts wait for it.</summary>
    public const string ReadyPrefix = "PushCompare cluster ready: ";

    public static async Task<int> RunAsync(string[] args)
    {
        var settings = new ConfigurationBuilder().AddCommandLine(args).Build();
        string redisAddress = settings["redis"] ?? "127.0.0.1:6379";
        int instanceCount = int.Parse(settings["instances"] ?? "3", CultureInfo.InvariantCulture);
        int port = int.Parse(settings["port"] ?? "0", CultureInfo.InvariantCulture);
        string? webDll = settings["web-dll"] ?? DotnetApp.BuildMetadata(typeof(LocalCluster).Assembly, "PushCompare.WebDll");
        string? webRoot = settings["web-root"] ?? DotnetApp.BuildMetadata(typeof(LocalCluster).Assembly, "PushCompare.WebRoot");
        var health = new GatewayOptions();
        // After SIGTERM an instance keeps serving until the gateway has surely seen /readyz fail (its failures in a row,
        // each up to an interval plus a timeout apart), and one interval more.
        var grace = (health.HealthCheckInterval + health.HealthCheckTimeout) * health.FailuresBeforeRemoval + health.HealthCheckInterval;

        using var stop = new CancellationTokenSource();
        // SIGTERM, and SIGHUP (the terminal closed): stop what it started, rather than die and leave the instances running.
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; stop.Cancel(); });
        using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, ctx => { ctx.Cancel = true; stop.Cancel(); });
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };

        ClusterProcesses? cluster = null;
        WebApplication? gateway = null;
        try
        {
            cluster = await ClusterProcesses.StartAsync(new ClusterSpec
            {
                WebDll = webDll ?? "",
                WebRoot = webRoot,
                Instances = instanceCount,
                ExistingRedis = redisAddress,
                DrainGrace = grace,
                OnLine = (name, line) => Console.WriteLine($"[{name}] {line}"),
            }, stop.Token);
            Console.WriteLine(cluster.OwnRedis is null
                ? $"Redis: using the one at {cluster.RedisAddress}."
                : $"Redis: none answered at {redisAddress}; started redis-server at {cluster.RedisAddress} (temporary, persists nothing).");
            foreach (var instance in cluster.Instances) Console.WriteLine($"Instance {instance.Name}: {instance.Address} (pid {instance.Process.Pid}).");

            gateway = GatewayApp.Build(["--urls", $"http://127.0.0.1:{port}", .. cluster.GatewayDestinations]);
            await gateway.StartAsync(stop.Token);
            var url = new Uri(gateway.Urls.First().Replace("localhost", "127.0.0.1", StringComparison.Ordinal) + "/");
            await cluster.WaitUntilReadyAsync([url], stop.Token);
            Console.WriteLine($"{ReadyPrefix}{url} (gateway, round-robin over {instanceCount} instances; Redis at {cluster.RedisAddress}). Ctrl-C stops them all.");

            var exited = cluster.Instances.Select(instance => instance.Process.WaitForExitAsync(stop.Token)).ToArray();
            await Task.WhenAny(Task.WhenAny(exited), Task.Delay(Timeout.Infinite, stop.Token));
            if (!stop.IsCancellationRequested)
            {
                // An instance that dies is not restarted: the gateway routes around it, and the person sees it here.
                Console.WriteLine("An instance exited; the gateway routes around it. Ctrl-C stops the rest.");
                await Task.Delay(Timeout.Infinite, stop.Token).ContinueWith(_ => { }, TaskScheduler.Default);
            }
            return 0;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return 0;
        }
        catch (ProcessSetupException ex)
        {
            Console.Error.WriteLine($"The cluster could not start: {ex.Message}");
            return 1;
        }
        finally
        {
            Console.WriteLine("Stopping the cluster...");
            if (gateway is not null)
            {
                await gateway.StopAsync(CancellationToken.None);
                await gateway.DisposeAsync();
            }
            if (cluster is not null) await cluster.DisposeAsync();
            Console.WriteLine("Stopped.");
        }
    }
}
