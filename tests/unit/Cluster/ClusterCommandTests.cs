using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using System.Text.RegularExpressions;
using PushCompare.Hosting;
using PushCompare.UnitTests.Infrastructure;

namespace PushCompare.UnitTests.Cluster;

/// <summary>The local cluster command starts everything, prints the page's URL, and SIGTERM stops all it started.</summary>
[Collection(ClusterCollection.Name)]
public sealed partial class ClusterCommandTests
{
    [GeneratedRegex(@"PushCompare cluster ready: (?<url>http://\S+)")]
    private static partial Regex ReadyLine();

    [GeneratedRegex(@"HTTP/2 at (?<url>https://\S+)")]
    private static partial Regex TlsLine();

    [GeneratedRegex(@"\(pid (?<pid>\d+)\)")]
    private static partial Regex InstancePid();

    [GeneratedRegex(@"started redis-server at 127\.0\.0\.1:(?<port>\d+)")]
    private static partial Regex OwnRedis();

    [Theory]
    [InlineData("gateway")]
    [InlineData("nginx")] // the real program with deploy/nginx.conf, plain HTTP and TLS with HTTP/2
    public async Task The_cluster_command_starts_redis_three_instances_and_the_balancer_and_SIGTERM_stops_them_all(string balancer)
    {
        string gatewayDll = DotnetApp.BuildMetadata(typeof(ClusterCommandTests).Assembly, "PushCompare.GatewayDll")!;
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = Path.GetDirectoryName(gatewayDll)! };
        // Nothing listens at the port given, so it starts a redis-server of its own (never the system's).
        foreach (var arg in new[] { gatewayDll, "cluster", "--redis", $"127.0.0.1:{FreePort.Next()}", "--balancer", balancer }) start.ArgumentList.Add(arg);
        var lines = new System.Collections.Concurrent.ConcurrentQueue<string>(); // all of them: the tail keeps only the last 40
        var (cluster, ready) = await ChildProcess.StartAsync("the cluster command", start, ReadyLine(), TimeSpan.FromSeconds(120), CancellationToken.None,
            onLine: lines.Enqueue, stopTimeout: TimeSpan.FromSeconds(60));
        string output = string.Join('\n', lines);
        await using var _ = cluster;
        var url = new Uri(ready.Groups["url"].Value);
        var pids = InstancePid().Matches(output).Select(m => int.Parse(m.Groups["pid"].Value)).ToList();
        Assert.Equal(3, pids.Count);
        int redisPort = int.Parse(OwnRedis().Match(output).Groups["port"].Value);

        using var http = new HttpClient { BaseAddress = url };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/")).StatusCode); // the page, through the gateway
        var session = await http.OpenSessionAsync();
        await http.SendAcceptedAsync(session.Id, "through the gateway");
        Assert.Equal(["Received: through the gateway"], (await http.PollBatchAsync(session.Id, 0)).Messages);
        using (var socket = new ClientWebSocket())
        {
            await socket.ConnectAsync(new Uri($"ws://{url.Authority}/ws"), CancellationToken.None);
            Assert.Equal("Received: hi", await socket.EchoTextAsync("hi"));
        }
        if (balancer != "gateway")
        {
            // The balancer also ends TLS, with HTTP/2 to the client, in front of the same instances.
            var tls = new Uri(TlsLine().Match(output).Groups["url"].Value);
            using var h2 = new HttpClient(new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true } })
            {
                BaseAddress = tls, DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            };
            using var overTls = await h2.GetAsync("/readyz");
            Assert.Equal((HttpStatusCode.OK, HttpVersion.Version20), (overTls.StatusCode, overTls.Version));
        }

        Assert.True(cluster.Terminate());
        await cluster.WaitForExitAsync().Within("the cluster command exits on SIGTERM", TimeSpan.FromSeconds(60));
        Assert.Equal(0, cluster.ExitCode);
        foreach (int pid in pids) Assert.False(IsRunning(pid), $"instance pid {pid} still runs");
        Assert.False(await RedisProcess.AnswersPingAsync($"127.0.0.1:{redisPort}", CancellationToken.None), "its redis-server still answers");
        Assert.False(await ConnectsAsync(url), "the gateway still listens");
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static async Task<bool> ConnectsAsync(Uri url)
    {
        using var client = new System.Net.Sockets.TcpClient();
        try
        {
            await client.ConnectAsync(url.Host, url.Port);
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }
}
