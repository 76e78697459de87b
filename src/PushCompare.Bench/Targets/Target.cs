namespace PushCompare.Bench.Targets;

/// <summary>A server the bench measures: the app it starts itself, a variant of it, a URL given by the user, or a peer.</summary>
internal abstract class Target(string name) : IAsyncDisposable
{
    private TargetInstance? _discovered;

    public string Name { get; } = name;

    /// <summary>"app", "url" or "node-peer": written into every result so reports say what was measured.</summary>
    public abstract string Kind { get; }

    /// <summary>False for peers that only echo over WebSocket.</summary>
    public virtual bool SupportsPolling => true;

    public virtual bool SupportsPush => true;

    /// <summary>Whether the server lists its transports at <c>GET /api/stats</c> (every PushCompare; not the Node peer).</summary>
    public virtual bool HasRegistry => true;

    /// <summary>The transports the server listed, in its order ("other" left out); null before <see cref="DiscoverAsync"/> or without a registry.</summary>
    public IReadOnlyList<OfferedTransport>? Offered { get; private set; }

    /// <summary>
    /// Starts the server once and reads which transports it offers. That first process is kept for the first run,
    /// so reading the registry costs no extra start (it has served one <c>GET /api/stats</c> more, nothing else).
    /// </summary>
    public async Task DiscoverAsync(CancellationToken cancel)
    {
        if (!HasRegistry || Offered is not null) return;
        var instance = await LaunchAsync(cancel);
        try
        {
            Offered = await TransportRegistryReader.ReadAsync(instance.BaseUri, Name, cancel);
        }
        catch
        {
            await instance.DisposeAsync();
            throw;
        }
        _discovered = instance;
    }

    /// <summary>The server for one run: the one discovery started, the first time; a fresh one after that.</summary>
    public async Task<TargetInstance> StartAsync(CancellationToken cancel) =>
        Interlocked.Exchange(ref _discovered, null) ?? await LaunchAsync(cancel);

    /// <summary>Starts (or just locates) the server; the instance is disposed after the run.</summary>
    protected abstract Task<TargetInstance> LaunchAsync(CancellationToken cancel);

    /// <summary>Stops a server discovery started that no run used (an invocation refused or cancelled).</summary>
    public ValueTask DisposeAsync() => Interlocked.Exchange(ref _discovered, null)?.DisposeAsync() ?? ValueTask.CompletedTask;
}

/// <summary>A running server: where to reach it and, when known, its process id for CPU and memory readings.</summary>
internal sealed class TargetInstance(Uri baseUri, int? pid, ChildProcess? child) : IAsyncDisposable
{
    public Uri BaseUri { get; } = baseUri;

    /// <summary>The https:// endpoint (HTTP/1.1 and HTTP/2 by ALPN) when the server has one; null otherwise.</summary>
    public Uri? TlsBaseUri { get; init; } = baseUri.Scheme == Uri.UriSchemeHttps ? baseUri : null;

    /// <summary>Where a run over <paramref name="stack"/> connects; null when the server has no endpoint for it.</summary>
    public Uri? BaseUriFor(Cli.WireStack stack) => stack.Tls ? TlsBaseUri : BaseUri.Scheme == Uri.UriSchemeHttp ? BaseUri : null;

    public int? Pid { get; } = pid;

    /// <summary>Output tail of a server the bench started, for error reports; empty otherwise.</summary>
    public string OutputTail => child?.Tail ?? "";

    public bool Exited => child?.HasExited ?? false;

    public ValueTask DisposeAsync() => child?.DisposeAsync() ?? ValueTask.CompletedTask;
}
