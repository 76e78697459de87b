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
        await EnsureInstalledAsync(cancel);

        var start = new ProcessStartInfo("node") { WorkingDirectory = directory };
        start.ArgumentList.Add("server.js");
        start.ArgumentList.Add("0");
        var (child, ready) = await ChildProcess.StartAsync("the Node ws peer", start, ListeningLine(), TimeSpan.FromSeconds(30), cancel);
        return new TargetInstance(new Uri($"http://127.0.0.1:{ready.Groups["port"].Value}/"), child.Pid, child);
    }

    private async Task EnsureInstalledAsync(CancellationToken cancel)
    {
        if (Directory.Exists(Path.Combine(directory, "node_modules", "ws"))) return;
        var start = new ProcessStartInfo("npm")
        {
            WorkingDirectory = directory,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        bool locked = File.Exists(Path.Combine(directory, "package-lock.json"));
        foreach (var arg in new[] { locked ? "ci" : "install", "--no-audit", "--no-fund" }) start.ArgumentList.Add(arg);
        Process npm;
        try
        {
            npm = Process.Start(start) ?? throw new BenchSetupException("npm could not be started.");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new BenchSetupException("npm was not found: install Node.js 18+ with npm to run the Node peer (--peer node).", ex);
        }
        using (npm)
        {
            var output = npm.StandardOutput.ReadToEndAsync(cancel);
            var errors = npm.StandardError.ReadToEndAsync(cancel);
            await npm.WaitForExitAsync(cancel).WaitAsync(TimeSpan.FromMinutes(5), cancel);
            if (npm.ExitCode != 0)
            {
                throw new BenchSetupException($"'npm {string.Join(' ', start.ArgumentList)}' in {directory} failed (code {npm.ExitCode}):" +
                    $"{Environment.NewLine}{await output}{await errors}");
            }
        }
    }
}
