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

/// <summary>One process that serves a target: its role ("server"; a cluster's "gateway", "web1", "redis", ...) and id.</summary>
public sealed record ServerProcess(string Role, int Pid);

/// <summary>
/// A running server: where to reach it and, when known, the processes that serve it, for CPU and memory readings (one
/// for an app; a cluster's gateways, instances and Redis, summed).
/// </summary>
internal sealed class TargetInstance(Uri baseUri, int? pid, ChildProcess? child) : IAsyncDisposable
{
    public Uri BaseUri { get; } = baseUri;

    /// <summary>The https:// endpoint (HTTP/1.1 and HTTP/2 by ALPN) when the server has one; null otherwise.</summary>
    public Uri? TlsBaseUri { get; init; } = baseUri.Scheme == Uri.UriSchemeHttps ? baseUri : null;

    /// <summary>Where a run over <paramref name="stack"/> connects; null when the server has no endpoint for it.</summary>
    public Uri? BaseUriFor(Cli.WireStack stack) => stack.Tls ? TlsBaseUri : BaseUri.Scheme == Uri.UriSchemeHttp ? BaseUri : null;

    /// <summary>The processes whose CPU and memory are the server's, summed; empty when the bench cannot see them.</summary>
    public IReadOnlyList<ServerProcess> Processes { get; init; } = pid is { } p ? [new ServerProcess("server", p)] : [];

    /// <summary>The first of <see cref="Processes"/>: the app's, or a cluster's (first) gateway's.</summary>
    public int? Pid => Processes.Count > 0 ? Processes[0].Pid : null;

    /// <summary>
    /// Every address that accepts the clients' connections, <see cref="BaseUri"/> first: several gateways of one
    /// cluster, over which the bench spreads its connections as an L4 load balancer would (<c>--gateways</c>).
    /// </summary>
    public IReadOnlyList<Uri> Entries { get; init; } = [baseUri];

    /// <summary>host:port of the Redis a cluster shares, whose INFO the bench reads at the window's edges; null for one app.</summary>
    public string? RedisAddress { get; init; }

    /// <summary>What the instance owns beside <paramref name="child"/> (a cluster's processes); disposed with it.</summary>
    public IAsyncDisposable? Owned { get; init; }

    /// <summary>Child processes whose exit during a run is a problem (the app, or every process of a cluster).</summary>
    public IReadOnlyList<ChildProcess> Children { get; init; } = child is null ? [] : [child];

    /// <summary>Output tail of a server the bench started (of the processes that exited, when any did), for error reports; empty otherwise.</summary>
    public string OutputTail => Children.Count == 1 ? Children[0].Tail
        : string.Join(Environment.NewLine, Children.Where(c => c.HasExited).Select(c => $"[{c.Name}]{Environment.NewLine}{c.Tail}"));

    public bool Exited => Children.Any(c => c.HasExited);

    public async ValueTask DisposeAsync()
    {
        foreach (var link in _links) await link.DisposeAsync(); // the links first: nothing reaches a stopping server through them
        if (child is not null) await child.DisposeAsync();
        if (Owned is not null) await Owned.DisposeAsync();
    }

    private readonly List<Hosting.Links.LinkEmulator> _links = [];

    /// <summary>
    /// The same server reached through an emulated link: each of its endpoints (plain, TLS) behind a link emulator of its
    /// own, which the instance owns. A run uses one endpoint, so each run has one link. Loopback changes nothing.
    /// </summary>
    public TargetInstance OverLink(Hosting.Links.LinkProfile link)
    {
        if (link.IsLoopback) return this;
        if (Entries.Count > 1) throw new InvalidOperationException("One link goes in front of one endpoint, not a cluster's gateways.");
        var plain = Through(BaseUri, link);
        var over = new TargetInstance(plain, pid, child)
        {
            TlsBaseUri = TlsBaseUri is not { } tls ? null : tls == BaseUri ? plain : Through(tls, link),
            Processes = Processes,
            RedisAddress = RedisAddress,
            Owned = Owned,
            Children = Children,
        };
        over._links.AddRange(_links);
        return over;

        Uri Through(Uri endpoint, Hosting.Links.LinkProfile profile)
        {
            var address = System.Net.IPAddress.TryParse(endpoint.Host.Trim('[', ']'), out var ip) ? ip : System.Net.IPAddress.Loopback;
            var emulator = Hosting.Links.LinkEmulator.Start(profile, new System.Net.IPEndPoint(address, endpoint.Port));
            _links.Add(emulator);
            return new UriBuilder(endpoint) { Host = "127.0.0.1", Port = emulator.EndPoints[0].Port }.Uri;
        }
    }
}
