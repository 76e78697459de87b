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
    [GeneratedRegex(@"Now listening on: (?<url>https?://\S+)")]
    private static partial Regex ListeningLine();

    // Printed after every "Now listening on:" line, so every endpoint is known once it appears.
    [GeneratedRegex(@"Application started\.")]
    private static partial Regex StartedLine();

    /// <param name="port">0 for a free port; another to start again where an earlier instance was</param>
    /// <param name="urls">what Kestrel listens on, e.g. "http://127.0.0.1:0;https://127.0.0.1:0"; <c>http://127.0.0.1:{port}</c> when null</param>
    public static async Task<RunningApp> StartAsync(string name, string dll, IEnumerable<string> args,
        IEnumerable<string> env, CancellationToken cancel, int port = 0, Action<string>? onLine = null, TimeSpan? stopTimeout = null,
        string? urls = null)
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
        start.ArgumentList.Add(urls ?? $"http://127.0.0.1:{port}");
        foreach (var arg in args) start.ArgumentList.Add(arg.StartsWith("--", StringComparison.Ordinal) ? arg : "--" + arg);
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment.Remove("ASPNETCORE_URLS");
        start.Environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information"; // the ready lines
        foreach (var pair in env)
        {
            int eq = pair.IndexOf('=');
            start.Environment[pair[..eq]] = pair[(eq + 1)..];
        }

        var (child, _) = await ChildProcess.StartAsync(name, start, StartedLine(), TimeSpan.FromSeconds(60), cancel, onLine, stopTimeout);
        var listening = ListeningLine().Matches(child.Tail).Select(m => new Uri(m.Groups["url"].Value)).ToList();
        if (!listening.Any(u => u.Scheme == Uri.UriSchemeHttp))
        {
            await child.DisposeAsync();
            throw new ProcessSetupException($"{name} started without an http:// endpoint. Its output:{Environment.NewLine}{child.Tail}");
        }
        return new RunningApp(child, listening);
    }

    /// <summary>A path recorded at build time in <c>AssemblyMetadata(key)</c>, e.g. where a sibling project's dll is.</summary>
    public static string? BuildMetadata(System.Reflection.Assembly assembly, string key) =>
        assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .Cast<System.Reflection.AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == key)?.Value;
}

/// <summary>An app <see cref="DotnetApp"/> started: its process and every address it listens on.</summary>
public sealed class RunningApp(ChildProcess child, IReadOnlyList<Uri> urls)
{
    public ChildProcess Child { get; } = child;

    public IReadOnlyList<Uri> Urls { get; } = urls;

    /// <summary>The http:// endpoint.</summary>
    public Uri Address => Urls.First(u => u.Scheme == Uri.UriSchemeHttp);

    /// <summary>The https:// endpoint, when it listens on one.</summary>
    public Uri? TlsAddress => Urls.FirstOrDefault(u => u.Scheme == Uri.UriSchemeHttps);

    public void Deconstruct(out ChildProcess child, out Uri address) => (child, address) = (Child, Address);
}
