using System.Diagnostics;
using System.Text.RegularExpressions;
using PushCompare.Hosting;

namespace PushCompare.UnitTests.Infrastructure;

/// <summary>
/// A real Redis Cluster of the tests' own: three masters (<c>redis-server --cluster-enabled yes</c>, no replicas, no
/// persistence) on free loopback ports, each in a folder of a temporary directory, joined by
/// <c>redis-cli --cluster create</c>; disposing it stops them and deletes the directory.
/// </summary>
public sealed partial class RedisCluster : IAsyncDisposable
{
    public const int Masters = 3;
    private readonly string _folder;
    private readonly List<(ChildProcess Child, int Port)> _nodes = [];

    private RedisCluster(string folder) => _folder = folder;

    /// <summary>Every master's host:port: the seed list <c>Backplane:Redis</c> takes, and the short client timeouts of <see cref="RedisServer"/>.</summary>
    public string Configuration => ConfigurationWithTimeout(2000);

    /// <summary>The same with client timeouts of <paramref name="ms"/> (a cluster run on a starved box needs more than 2 s).</summary>
    public string ConfigurationWithTimeout(int ms) => string.Join(",", _nodes.Select(n => $"127.0.0.1:{n.Port}")) + RedisServer.ClientOptions(ms);

    public IEnumerable<string> Addresses => _nodes.Select(n => $"127.0.0.1:{n.Port}");

    [GeneratedRegex(@"Ready to accept connections")]
    private static partial Regex ReadyLine();

    public static async Task<RedisCluster> StartAsync()
    {
        var cluster = new RedisCluster(Directory.CreateTempSubdirectory("pushcompare-redis-cluster-").FullName);
        try
        {
            for (int i = 0; i < Masters; i++) cluster._nodes.Add(await StartNodeAsync(cluster._folder, i));
            await CreateAsync(cluster.Addresses);
            // Each node learns the slots' owners over the cluster bus; it answers keys only once its state is ok.
            foreach (string address in cluster.Addresses)
            {
                await Eventually.AssertAsync(async () => (await RedisProcess.CommandAsync(address, "CLUSTER INFO", TimeSpan.FromSeconds(2), CancellationToken.None))
                    ?.Contains("cluster_state:ok", StringComparison.Ordinal) == true, $"Redis Cluster node {address} is ready", TimeSpan.FromSeconds(30));
            }
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private static async Task<(ChildProcess, int)> StartNodeAsync(string root, int index)
    {
        string folder = Directory.CreateDirectory(Path.Combine(root, $"node{index}")).FullName;
        for (int attempt = 1; ; attempt++)
        {
            // The bus port is given too: port + 10000, the default, may be past 65535 for a free port.
            int port = FreePort.Next(), bus = FreePort.Next();
            var start = new ProcessStartInfo("redis-server") { WorkingDirectory = folder };
            foreach (string arg in new[] { "--port", $"{port}", "--cluster-port", $"{bus}", "--bind", "127.0.0.1", "--dir", folder,
                         "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000",
                         "--save", "", "--appendonly", "no", "--daemonize", "no", "--protected-mode", "yes" })
                start.ArgumentList.Add(arg);
            try
            {
                var (child, _) = await ChildProcess.StartAsync($"redis-server cluster node {index} (port {port})", start, ReadyLine(), TimeSpan.FromSeconds(20),
                    CancellationToken.None);
                return (child, port);
            }
            catch (ProcessSetupException) when (attempt < 3)
            {
                // A port was taken in between: other ones.
            }
        }
    }

    private static async Task CreateAsync(IEnumerable<string> addresses)
    {
        var start = new ProcessStartInfo("redis-cli") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("--cluster");
        start.ArgumentList.Add("create");
        foreach (string address in addresses) start.ArgumentList.Add(address);
        foreach (string arg in new[] { "--cluster-replicas", "0", "--cluster-yes" }) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"redis-cli --cluster create failed ({process.ExitCode}): {await output}{await errors}");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (child, _) in _nodes) await child.DisposeAsync();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A node still closing its files: the temporary directory is the system's to clean.
        }
    }
}
