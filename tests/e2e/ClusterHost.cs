using System.Diagnostics;
using System.Text.RegularExpressions;
using PushCompare.Hosting;

namespace PushCompare.E2ETests;

/// <summary>
/// The local cluster the way a person starts it, with the cluster command (<c>PushCompare.Gateway cluster</c>): its own
/// redis-server (never the system's), three instances and the gateway, round-robin with no affinity. The instances
/// get the byte-equality tests' settings (no server pings, no SSE heartbeats: see <see cref="AppHost"/>) as
/// environment variables, which the command passes on to them.
/// </summary>
public sealed partial class ClusterHost : IAsyncLifetime
{
    [GeneratedRegex(@"PushCompare cluster ready: (?<url>http://\S+)")]
    private static partial Regex ReadyLine();

    [GeneratedRegex(@"^Instance web\d+: (?<url>http://\S+) \(pid (?<pid>\d+)")]
    private static partial Regex InstanceLine();

    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _lines = new();
    private ChildProcess? _cluster;

    /// <summary>The gateway: the page and everything it asks for go here.</summary>
    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>The instances' own addresses, to look behind the gateway.</summary>
    public IReadOnlyList<Uri> Instances { get; private set; } = [];

    private IReadOnlyList<int> _pids = [];

    /// <summary>Kills instance <paramref name="index"/> at once (SIGKILL: no drain, as a crash); the gateway and Redis stay.</summary>
    public void KillInstance(int index)
    {
        using var process = Process.GetProcessById(_pids[index]);
        process.Kill();
        process.WaitForExit();
    }

    public async Task InitializeAsync()
    {
        string dll = DotnetApp.BuildMetadata(typeof(ClusterHost).Assembly, "PushCompare.GatewayDll")!;
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = Path.GetDirectoryName(dll)! };
        // Nothing listens at the port given, so it starts a redis-server of its own.
        foreach (var arg in new[] { dll, "cluster", "--redis", $"127.0.0.1:{FreePort.Next()}" }) start.ArgumentList.Add(arg);
        start.Environment["WebSockets__KeepAliveInterval"] = "01:00:00";
        start.Environment["ServerSentEvents__HeartbeatInterval"] = "01:00:00";
        var (cluster, ready) = await ChildProcess.StartAsync("the cluster command", start, ReadyLine(), TimeSpan.FromSeconds(120),
            CancellationToken.None, onLine: _lines.Enqueue, stopTimeout: TimeSpan.FromSeconds(60));
        _cluster = cluster;
        BaseUrl = new Uri(ready.Groups["url"].Value);
        var instances = _lines.Select(l => InstanceLine().Match(l)).Where(m => m.Success).ToList();
        Instances = [.. instances.Select(m => new Uri(m.Groups["url"].Value))];
        _pids = [.. instances.Select(m => int.Parse(m.Groups["pid"].Value, System.Globalization.CultureInfo.InvariantCulture))];
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null) await _cluster.DisposeAsync();
    }
}
