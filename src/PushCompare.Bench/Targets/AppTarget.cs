namespace PushCompare.Bench.Targets;

/// <summary>
/// Starts the built PushCompare.Web as a child process on a free loopback port (<see cref="DotnetApp"/>).
/// Extra settings go in as command-line configuration.
/// </summary>
internal sealed class AppTarget(string name, string dll, IReadOnlyList<string> serverArgs, IReadOnlyList<string> serverEnv) : Target(name)
{
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
        var (child, address) = await DotnetApp.StartAsync($"the app ({Name})", dll, serverArgs, serverEnv, cancel);
        return new TargetInstance(address, child.Pid, child);
    }
}
