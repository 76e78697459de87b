using System.CommandLine;
using System.Runtime.InteropServices;
using PushCompare.Hosting;
using PushCompare.Hosting.Proxies;
using static PushCompare.Hosting.CommandLineChecks;

namespace PushCompare.Gateway;

/// <summary>
/// <c>dotnet run --project src/PushCompare.Gateway -- cluster</c>: Redis (the one at <c>--redis host:port</c>, default
/// 127.0.0.1:6379, when it answers; else a private redis-server in a temporary folder), three PushCompare.Web instances
/// with <c>Backplane:Redis</c> set and the gateway in front of them, all on free loopback ports. It prints the page's
/// URL once every instance is ready; Ctrl-C or SIGTERM stops everything it started. <c>--balancer nginx|haproxy</c>
/// puts the real program in front instead, with the shipped configuration (deploy/), when it is installed.
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
        var port = new Option<int>("--port") { HelpName = "port", Description = "The gateway's (or balancer's plain HTTP) port on 127.0.0.1 (0: a free one)", DefaultValueFactory = _ => 0 };
        var balancer = new Option<string>("--balancer")
        {
            HelpName = "gateway|nginx|haproxy",
            Description = "What stands in front of the instances: the PushCompare gateway (it meters the browser's connection), or the real nginx or HAProxy with deploy/nginx.conf or deploy/haproxy.cfg (they also serve TLS with HTTP/2)",
            DefaultValueFactory = _ => "gateway",
        };
        balancer.AcceptOnlyFromAmong("gateway", "nginx", "haproxy");
        var webDll = new Option<string?>("--web-dll") { HelpName = "path", Description = "The app the instances run (default: the PushCompare.Web.dll built with the gateway)" };
        var webRoot = new Option<string?>("--web-root") { HelpName = "path", Description = "Where the instances serve the page from (default: the source tree's wwwroot)" };
        var command = new Command("cluster", "Runs a local cluster: Redis, PushCompare.Web instances sharing it, and the gateway in front; Ctrl-C stops it all.")
        {
            redis, instances, port, balancer, webDll, webRoot,
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
                    parsed.GetValue(webRoot) ?? DotnetApp.BuildMetadata(typeof(LocalCluster).Assembly, "PushCompare.WebRoot"),
                    parsed.GetValue(balancer) switch { "nginx" => ProxyProgram.Nginx, "haproxy" => ProxyProgram.Haproxy, _ => null });
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

    /// <param name="Balancer">nginx or HAProxy in front; null for the gateway</param>
    private sealed record ClusterOptions(string Redis, int Instances, int Port, string? WebDll, string? WebRoot, ProxyProgram? Balancer);

    private static async Task<int> RunAsync(ClusterOptions options)
    {
        // Before anything starts: a balancer that is not installed is a sentence saying how to install it.
        string? shipped = null;
        if (options.Balancer is { } program)
        {
            if (!ProxyProcess.IsInstalled(program))
            {
                Console.Error.WriteLine($"The cluster could not start: {ProxyProcess.InstallHint(program)} Or leave out --balancer to use the gateway.");
                return 1;
            }
            shipped = ProxyProcess.ShippedConfigurationPath(program, DotnetApp.BuildMetadata(typeof(LocalCluster).Assembly, "PushCompare.DeployFolder") ?? "deploy");
        }
        var health = new GatewayOptions();
        // After SIGTERM an instance keeps serving until its balancer has surely seen /readyz fail (its failures in a row,
        // each up to an interval plus a timeout apart), and one interval more. deploy/haproxy.cfg checks every 1 s with a
        // 5 s timeout, 2 failures; nginx open source does not check, and the grace only delays the stop.
        var grace = options.Balancer == ProxyProgram.Haproxy
            ? (TimeSpan.FromSeconds(1) + TimeSpan.FromSeconds(5)) * 2 + TimeSpan.FromSeconds(1)
            : (health.HealthCheckInterval + health.HealthCheckTimeout) * health.FailuresBeforeRemoval + health.HealthCheckInterval;

        using var stop = new CancellationTokenSource();
        // SIGTERM, and SIGHUP (the terminal closed): stop what it started, rather than die and leave the instances running.
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; stop.Cancel(); });
        using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, ctx => { ctx.Cancel = true; stop.Cancel(); });
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };

        ClusterProcesses? cluster = null;
        WebApplication? gateway = null;
        ProxyProcess? proxy = null;
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

            Uri url;
            string front;
            if (options.Balancer is { } balancer)
            {
                proxy = await ProxyProcess.StartBalancerAsync(balancer, await File.ReadAllTextAsync(shipped!, stop.Token),
                    [.. cluster.Instances.Select(i => i.Address)], stop.Token, line => Console.WriteLine($"[{ProxyProcess.PackageName(balancer)}] {line}"), options.Port);
                url = proxy.Address;
                front = $"{ProxyProcess.PackageName(balancer)} with {shipped}, TLS and HTTP/2 at {proxy.TlsAddress} (self-signed: accept the browser's warning once); "
                    + "the page's figures are the instances', not the browser's connection";
            }
            else
            {
                gateway = GatewayApp.Build(["--urls", $"http://127.0.0.1:{options.Port}", .. cluster.GatewayDestinations]);
                await gateway.StartAsync(stop.Token);
                url = new Uri(gateway.Urls.First().Replace("localhost", "127.0.0.1", StringComparison.Ordinal) + "/");
                front = "gateway";
            }
            await cluster.WaitUntilReadyAsync([url], stop.Token);
            Console.WriteLine($"{ReadyPrefix}{url} ({front}; round-robin over {options.Instances} instances; Redis at {cluster.RedisAddress}). Ctrl-C stops them all.");

            var exited = cluster.Instances.Select(instance => instance.Process.WaitForExitAsync(stop.Token)).ToArray();
            await Task.WhenAny(Task.WhenAny(exited), Task.Delay(Timeout.Infinite, stop.Token));
            if (!stop.IsCancellationRequested)
            {
                // An instance that dies is not restarted: the balancer routes around it, and the person sees it here.
                Console.WriteLine("An instance exited; the balancer routes around it. Ctrl-C stops the rest.");
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
            if (proxy is not null) await proxy.DisposeAsync();
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
