using System.Diagnostics;
using System.Text.RegularExpressions;

namespace PushCompare.Hosting;

/// <summary>
/// Starts a built ASP.NET Core app (PushCompare.Web, the gateway) as a child process on a free loopback port
/// (<c>--urls http://127.0.0.1:0</c>, or the port asked for) and reads its address from Kestrel's "Now listening on:"
/// line. Settings go in as command-line configuration (<c>Key=Value</c>, <c>--Key=Value</c> or <c>--key value</c>)
/// and as environment variables (<c>NAME=value</c>).
/// </summary>
public static partial class DotnetApp
{
    [GeneratedRegex(@"Now listening on: (?<url>http://\S+)")]
    private static partial Regex ListeningLine();

    /// <param name="port">0 for a free port; another to start again where an earlier instance was</param>
    public static async Task<(ChildProcess Child, Uri Address)> StartAsync(string name, string dll, IEnumerable<string> args,
        IEnumerable<string> env, CancellationToken cancel, int port = 0, Action<string>? onLine = null, TimeSpan? stopTimeout = null)
    {
        if (!File.Exists(dll))
        {
            throw new ProcessSetupException($"{name} was not found at {dll}: build it first ('dotnet build -c Release PushCompare.sln').");
        }
        var start = new ProcessStartInfo("dotnet")
        {
            // The app reads appsettings.json from its content root, which is the working directory.
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add($"http://127.0.0.1:{port}");
        foreach (var arg in args) start.ArgumentList.Add(arg.StartsWith("--", StringComparison.Ordinal) ? arg : "--" + arg);
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment.Remove("ASPNETCORE_URLS");
        start.Environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information"; // the ready line
        foreach (var pair in env)
        {
            int eq = pair.IndexOf('=');
            start.Environment[pair[..eq]] = pair[(eq + 1)..];
        }

        var (child, ready) = await ChildProcess.StartAsync(name, start, ListeningLine(), TimeSpan.FromSeconds(60), cancel, onLine, stopTimeout);
        return (child, new Uri(ready.Groups["url"].Value));
    }

    /// <summary>A path recorded at build time in <c>AssemblyMetadata(key)</c>, e.g. where a sibling project's dll is.</summary>
    public static string? BuildMetadata(System.Reflection.Assembly assembly, string key) =>
        assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .Cast<System.Reflection.AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == key)?.Value;
}
