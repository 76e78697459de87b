namespace PushCompare.Bench.Targets;

/// <summary>
/// Starts the built PushCompare.Web as a child process on a free loopback port (<see cref="DotnetApp"/>).
/// Extra settings go in as command-line configuration. With <paramref name="tls"/> it also listens on a free https port
/// (HTTP/1.1 and HTTP/2 by ALPN), with the app's own certificate: configured, the development certificate, or the
/// self-signed one it makes once and then reuses.
/// </summary>
internal sealed class AppTarget(string name, string dll, IReadOnlyList<string> serverArgs, IReadOnlyList<string> serverEnv, bool tls = false) : Target(name)
{
    public bool Tls => tls;

    public override string Kind => "app";

    public IReadOnlyList<string> ServerArgs => serverArgs;

    public IReadOnlyList<string> ServerEnv => serverEnv;

    protected override async Task<TargetInstance> LaunchAsync(CancellationToken cancel)
    {
        if (!File.Exists(dll))
        {
            throw new BenchSetupException($"The app was not found at {dll}: build it first " +
                "('dotnet build -c Release src/PushCompare.Web') or pass --server-dll PATH.");
        }
        var app = await DotnetApp.StartAsync($"the app ({Name})", dll, serverArgs, serverEnv, cancel,
            urls: tls ? "http://127.0.0.1:0;https://127.0.0.1:0" : null);
        if (tls && app.TlsAddress is null)
        {
            await app.Child.DisposeAsync();
            throw new BenchSetupException($"the app ({Name}) started without an https:// endpoint. Its output:{Environment.NewLine}{app.Child.Tail}");
        }
        return new TargetInstance(app.Address, app.Child.Pid, app.Child) { TlsBaseUri = app.TlsAddress };
    }
}
