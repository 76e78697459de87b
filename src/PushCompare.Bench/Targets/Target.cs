namespace PushCompare.Bench.Targets;

/// <summary>A server the bench measures: the app it starts itself, a variant of it, a URL given by the user, or a peer.</summary>
internal abstract class Target(string name)
{
    public string Name { get; } = name;

    /// <summary>"app", "url" or "node-peer": written into every result so reports say what was measured.</summary>
    public abstract string Kind { get; }

    /// <summary>False for peers that only echo over WebSocket.</summary>
    public virtual bool SupportsPolling => true;

    public virtual bool SupportsPush => true;

    /// <summary>Starts (or just locates) the server for one run; the instance is disposed after the run.</summary>
    public abstract Task<TargetInstance> StartAsync(CancellationToken cancel);
}

/// <summary>A running server: where to reach it and, when known, its process id for CPU and memory readings.</summary>
internal sealed class TargetInstance(Uri baseUri, int? pid, ChildProcess? child) : IAsyncDisposable
{
    public Uri BaseUri { get; } = baseUri;

    public int? Pid { get; } = pid;

    /// <summary>Output tail of a server the bench started, for error reports; empty otherwise.</summary>
    public string OutputTail => child?.Tail ?? "";

    public bool Exited => child?.HasExited ?? false;

    public ValueTask DisposeAsync() => child?.DisposeAsync() ?? ValueTask.CompletedTask;
}
