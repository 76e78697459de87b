using System.Diagnostics;
using PushCompare.Hosting;
using PushCompare.UnitTests.Infrastructure;

namespace PushCompare.UnitTests.Cluster;

/// <summary>
/// The cluster command refuses a bad value before it starts anything, the way the bench does: System.CommandLine's
/// own error for a value of the wrong type (exit 1), "Error: …" for one out of range (exit 2).
/// </summary>
public sealed class ClusterArgumentsTests
{
    [Theory]
    [InlineData("--instances 0", CommandLineChecks.BadValueExitCode, "Error: --instances must be at least 1.")]
    [InlineData("--instances -2", CommandLineChecks.BadValueExitCode, "Error: --instances must be at least 1.")]
    [InlineData("--port 70000", CommandLineChecks.BadValueExitCode, "Error: --port must be from 0 to 65535, not 70000.")]
    [InlineData("--port -1", CommandLineChecks.BadValueExitCode, "Error: --port must be from 0 to 65535, not -1.")]
    [InlineData("--instances three", 1, "Cannot parse argument 'three' for option '--instances' as expected type 'System.Int32'.")]
    [InlineData("--port=http", 1, "Cannot parse argument 'http' for option '--port' as expected type 'System.Int32'.")]
    [InlineData("--colour blue", 1, "Unrecognized command or argument '--colour'.")]
    [InlineData("--balancer envoy", 1, "Argument 'envoy' not recognized. Must be one of:")]
    public async Task A_bad_value_exits_non_zero_with_what_to_fix_and_starts_nothing(string options, int exitCode, string message)
    {
        var (exit, output) = await RunClusterCommandAsync(options.Split(' '));

        Assert.Equal(exitCode, exit);
        Assert.Contains(message, output);
        Assert.DoesNotContain("Redis:", output); // nothing was started
    }

    [Fact]
    public async Task Help_lists_every_option_with_its_default()
    {
        var (exit, output) = await RunClusterCommandAsync(["--help"]);

        Assert.Equal(0, exit);
        foreach (var option in new[] { "--redis", "--instances", "--port", "--balancer", "--web-dll", "--web-root" }) Assert.Contains(option, output);
        Assert.Contains("[default: 3]", output);
        Assert.Contains("[default: gateway]", output);
        Assert.Contains("[default: 127.0.0.1:6379]", output);
    }

    private static async Task<(int Exit, string Output)> RunClusterCommandAsync(string[] options)
    {
        string gatewayDll = DotnetApp.BuildMetadata(typeof(ClusterArgumentsTests).Assembly, "PushCompare.GatewayDll")!;
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(gatewayDll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { gatewayDll, "cluster" }.Concat(options)) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().Within("the cluster command exits", TimeSpan.FromSeconds(60));
        return (process.ExitCode, await stdout + await stderr);
    }
}
