namespace PushCompare.Bench.Targets;

/// <summary>A server that is already running (<c>--url</c>); CPU and memory are read only when <c>--server-pid</c> names its process.</summary>
internal sealed class UrlTarget(string name, Uri baseUri, int? pid) : Target(name)
{
    public override string Kind => "url";

    protected override Task<TargetInstance> LaunchAsync(CancellationToken cancel) =>
        Task.FromResult(new TargetInstance(baseUri, pid, child: null));
}
