using System.Diagnostics;
using System.Text.RegularExpressions;

namespace PushCompare.Bench.Targets;

/// <summary>
/// Starts the built PushCompare.Web as a child process on a free loopback port (<c>--urls http://127.0.0.1:0</c>)
/// and reads the port from Kestrel's "Now listening on:" line. Extra settings go in as command-line configuration.
/// With <paramref name="tls"/> it also listens on a free https port (HTTP/1.1 and HTTP/2 by ALPN), with the app's own
/// certificate: configured, the development certificate, or the self-signed one it makes once and then reuses.
/// </summary>
internal sealed partial class AppTarget(string name, string dll, IReadOnlyList<string> serverArgs, IReadOnlyList<string> serverEnv, bool tls = false) : Target(name)
{
    public bool Tls => tls;

    public override string Kind => "app";

    public IReadOnlyList<string> ServerArgs => serverArgs;

    public IReadOnlyList<string> ServerEnv => serverEnv;

    [GeneratedRegex(@"Now listening on: (?<url>https?://\S+)")]
    private static partial Regex ListeningLine();

    // Printed after every "Now listening on:" line, so both endpoints are known once it appears.
    [GeneratedRegex(@"Application started\.")]
    private static partial Regex StartedLine();

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
        start.ArgumentList.Add(tls ? "http://127.0.0.1:0;https://127.0.0.1:0" : "http://127.0.0.1:0");
        foreach (var arg in serverArgs) start.ArgumentList.Add(arg.StartsWith("--", StringComparison.Ordinal) ? arg : "--" + arg);
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment.Remove("ASPNETCORE_URLS");
        start.Environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information"; // the ready line
        foreach (var pair in serverEnv)
        {
            int eq = pair.IndexOf('=');
            start.Environment[pair[..eq]] = pair[(eq + 1)..];
        }

        var (child, _) = await ChildProcess.StartAsync($"the app ({Name})", start, StartedLine(), TimeSpan.FromSeconds(60), cancel);
        var urls = ListeningLine().Matches(child.Tail).Select(m => new Uri(m.Groups["url"].Value)).ToList();
        var http = urls.FirstOrDefault(u => u.Scheme == Uri.UriSchemeHttp);
        var https = urls.FirstOrDefault(u => u.Scheme == Uri.UriSchemeHttps);
        if (http is null || (tls && https is null))
        {
            await child.DisposeAsync();
            throw new BenchSetupException($"the app ({Name}) started without {(http is null ? "an http://" : "an https://")} endpoint. Its output:{Environment.NewLine}{child.Tail}");
        }
        return new TargetInstance(http, child.Pid, child) { TlsBaseUri = https };
    }
}
