using System.Diagnostics;
using System.Text.RegularExpressions;

namespace PushCompare.Bench.Targets;

/// <summary>
/// The reference peer: the ~10-line Node <c>ws</c> echo server in bench/peers/node-ws-echo, installed with npm on
/// first use and started on a free loopback port. It echoes WebSocket messages exactly and has no /poll or push.
/// </summary>
internal sealed partial class NodePeerTarget(string directory) : Target("node-ws")
{
    public override string Kind => "node-peer";

    public override bool SupportsPolling => false;

    public override bool SupportsPush => false;

    /// <summary>The peer has no <c>/api/stats</c>: it serves WebSocket only, which <see cref="SupportsPolling"/> says.</summary>
    public override bool HasRegistry => false;

    [GeneratedRegex(@"listening on (?<port>\d+)")]
    private static partial Regex ListeningLine();

    protected override async Task<TargetInstance> LaunchAsync(CancellationToken cancel)
    {
        string script = Path.Combine(directory, "server.js");
        if (!File.Exists(script)) throw new BenchSetupException($"The Node peer was not found at {script}.");
        await NodePackages.EnsureInstalledAsync(directory, cancel);

        var start = new ProcessStartInfo("node") { WorkingDirectory = directory };
        start.ArgumentList.Add("server.js");
        start.ArgumentList.Add("0");
        var (child, ready) = await ChildProcess.StartAsync("the Node ws peer", start, ListeningLine(), TimeSpan.FromSeconds(30), cancel);
        return new TargetInstance(new Uri($"http://127.0.0.1:{ready.Groups["port"].Value}/"), child.Pid, child);
    }
}
