using System.Diagnostics;

namespace PushCompare.Bench.Targets;

/// <summary>bench/peers/node-ws-echo's one npm package (<c>ws</c>), installed on first use by the Node peer and the Node load client.</summary>
internal static class NodePackages
{
    public static async Task EnsureInstalledAsync(string directory, CancellationToken cancel)
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
            throw new BenchSetupException("npm was not found: install Node.js 18+ with npm to run the Node peer (--peer node, --client node).", ex);
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
