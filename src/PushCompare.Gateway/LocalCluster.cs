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

        RedisProcess? ownRedis = null;
        var instances = new List<ChildProcess>();
        WebApplication? gateway = null;
        try
        {
            if (await RedisProcess.AnswersPingAsync(redisAddress, stop.Token))
            {
                Console.WriteLine($"Redis: using the one at {redisAddress}.");
            }
            else
            {
                ownRedis = await RedisProcess.StartAsync(stop.Token, line => Console.WriteLine($"[redis] {line}"));
                redisAddress = ownRedis.Address;
                Console.WriteLine($"Redis: none answered at {settings["redis"] ?? "127.0.0.1:6379"}; started redis-server at {redisAddress} (temporary, persists nothing).");
            }

            var addresses = new List<Uri>();
            for (int i = 1; i <= instanceCount; i++)
            {
                string name = $"web{i}";
                var (child, address) = await DotnetApp.StartAsync($"instance {name}", webDll ?? "", [
                    $"--Backplane:Redis={redisAddress}",
                    $"--Health:DrainGrace={grace:c}",
                    "--Security:TrustedProxies:0=127.0.0.1", // the gateway: its X-Forwarded-For names the client
                    $"--webroot={webRoot}",
                ], [], stop.Token, onLine: line => Console.WriteLine($"[{name}] {line}"), stopTimeout: grace + TimeSpan.FromSeconds(15));
                instances.Add(child);
                addresses.Add(address);
                Console.WriteLine($"Instance {name}: {address} (pid {child.Pid}).");
            }

            gateway = GatewayApp.Build([
                "--urls", $"http://127.0.0.1:{port}",
                .. addresses.Select((a, i) => $"--Gateway:Destinations:{i}={a}"),
            ]);
            await gateway.StartAsync(stop.Token);
            var url = new Uri(gateway.Urls.First().Replace("localhost", "127.0.0.1", StringComparison.Ordinal) + "/");
            await WaitUntilReadyAsync(addresses, url, stop.Token);
            Console.WriteLine($"{ReadyPrefix}{url} (gateway, round-robin over {instanceCount} instances; Redis at {redisAddress}). Ctrl-C stops them all.");

            var exited = instances.Select(child => child.WaitForExitAsync(stop.Token)).ToArray();
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
            await Task.WhenAll(instances.Select(child => child.DisposeAsync().AsTask()));
            if (ownRedis is not null) await ownRedis.DisposeAsync();
            Console.WriteLine("Stopped.");
        }
    }

    // Every instance answers /readyz 200, and so does the page through the gateway.
    private static async Task WaitUntilReadyAsync(IEnumerable<Uri> instances, Uri gateway, CancellationToken cancel)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90); // generous: a busy machine starts slowly
        foreach (var url in instances.Select(i => new Uri(i, GatewayConfig.ReadyPath)).Append(gateway))
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
                if (DateTime.UtcNow > deadline) throw new ProcessSetupException($"{url} did not answer 200 within 90 s.");
                await Task.Delay(100, cancel);
            }
        }
    }
}
