using System.CommandLine;
using System.Runtime.InteropServices;
using PushCompare.Hosting;
using static PushCompare.Hosting.CommandLineChecks;

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

    /// <summary>Parses <c>cluster [options]</c> (<c>cluster --help</c> lists them) and runs the cluster; 2 for a value out of range, as the bench.</summary>
    public static Task<int> RunAsync(string[] args)
    {
        var redis = new Option<string>("--redis") { HelpName = "host:port", Description = "A Redis to use when it answers, host:port; else a private redis-server is started", DefaultValueFactory = _ => "127.0.0.1:6379" };
        var instances = new Option<int>("--instances") { HelpName = "N", Description = "PushCompare.Web instances behind the gateway", DefaultValueFactory = _ => 3 };
        var port = new Option<int>("--port") { HelpName = "port", Description = "The gateway's port on 127.0.0.1 (0: a free one)", DefaultValueFactory = _ => 0 };
        var webDll = new Option<string?>("--web-dll") { HelpName = "path", Description = "The app the instances run (default: the PushCompare.Web.dll built with the gateway)" };
        var webRoot = new Option<string?>("--web-root") { HelpName = "path", Description = "Where the instances serve the page from (default: the source tree's wwwroot)" };
        var command = new Command("cluster", "Runs a local cluster: Redis, PushCompare.Web instances sharing it, and the gateway in front; Ctrl-C stops it all.")
        {
            redis, instances, port, webDll, webRoot,
        };
        command.SetAction(async (parsed, cancel) =>
        {
            ClusterOptions options;
            try
            {
                options = new ClusterOptions(
                    parsed.GetValue(redis)!,
                    AtLeast(parsed.GetValue(instances), 1, "--instances"),
                    Between(parsed.GetValue(port), 0, 65535, "--port"),
                    parsed.GetValue(webDll) ?? DotnetApp.BuildMetadata(typeof(LocalCluster).Assembly, "PushCompare.WebDll"),
                    parsed.GetValue(webRoot) ?? DotnetApp.BuildMetadata(typeof(LocalCluster).Assembly, "PushCompare.WebRoot"));
            }
            catch (FormatException ex)
            {
                return await RefuseAsync(parsed.InvocationConfiguration.Error, ex);
            }
            return await RunAsync(options);
        });
        // Ctrl-C is the cluster's own to handle: it stops what it started.
        return new RootCommand("PushCompare's gateway") { command }.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
    }

    private sealed record ClusterOptions(string Redis, int Instances, int Port, string? WebDll, string? WebRoot);

    private static async Task<int> RunAsync(ClusterOptions options)
    {
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
                WebDll = options.WebDll ?? "",
                WebRoot = options.WebRoot,
                Instances = options.Instances,
                ExistingRedis = options.Redis,
                DrainGrace = grace,
                OnLine = (name, line) => Console.WriteLine($"[{name}] {line}"),
            }, stop.Token);
            Console.WriteLine(cluster.OwnRedis is null
                ? $"Redis: using the one at {cluster.RedisAddress}."
                : $"Redis: none answered at {options.Redis}; started redis-server at {cluster.RedisAddress} (temporary, persists nothing).");
            foreach (var instance in cluster.Instances) Console.WriteLine($"Instance {instance.Name}: {instance.Address} (pid {instance.Process.Pid}).");

            gateway = GatewayApp.Build(["--urls", $"http://127.0.0.1:{options.Port}", .. cluster.GatewayDestinations]);
            await gateway.StartAsync(stop.Token);
            var url = new Uri(gateway.Urls.First().Replace("localhost", "127.0.0.1", StringComparison.Ordinal) + "/");
            await cluster.WaitUntilReadyAsync([url], stop.Token);
            Console.WriteLine($"{ReadyPrefix}{url} (gateway, round-robin over {options.Instances} instances; Redis at {cluster.RedisAddress}). Ctrl-C stops them all.");

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
