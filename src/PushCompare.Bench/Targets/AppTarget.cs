using System.Diagnostics;
using System.Text.RegularExpressions;

namespace PushCompare.Bench.Targets;

/// <summary>
/// Starts the built PushCompare.Web as a child process on a free loopback port (<c>--urls http://127.0.0.1:0</c>)
/// and reads the port from Kestrel's "Now listening on:" line. Extra settings go in as command-line configuration.
/// </summary>
internal sealed partial class AppTarget(string name, string dll, IReadOnlyList<string> serverArgs, IReadOnlyList<string> serverEnv) : Target(name)
{
    public override string Kind => "app";

    public IReadOnlyList<string> ServerArgs => serverArgs;

    public IReadOnlyList<string> ServerEnv => serverEnv;

    [GeneratedRegex(@"Now listening on: (?<url>http://\S+)")]
    private static partial Regex ListeningLine();

    protected override async Task<TargetInstance> LaunchAsync(CancellationToken cancel)
    {
        if (!File.Exists(dll))
        {
            throw new BenchSetupException($"The app was not found at {dll}: build it first " +
                "('dotnet build -c Release src/PushCompare.Web') or pass --server-dll PATH.");
        }
        var start = new ProcessStartInfo("dotnet")
        {
            // The app reads appsettings.json from its content root, which is the working directory.
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add("http://127.0.0.1:0");
        foreach (var arg in serverArgs) start.ArgumentList.Add(arg.StartsWith("--", StringComparison.Ordinal) ? arg : "--" + arg);
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment.Remove("ASPNETCORE_URLS");
        start.Environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information"; // the ready line
        foreach (var pair in serverEnv)
        {
            int eq = pair.IndexOf('=');
            start.Environment[pair[..eq]] = pair[(eq + 1)..];
        }

        var (child, ready) = await ChildProcess.StartAsync($"the app ({Name})", start, ListeningLine(), TimeSpan.FromSeconds(60), cancel);
        return new TargetInstance(new Uri(ready.Groups["url"].Value), child.Pid, child);
    }
}
