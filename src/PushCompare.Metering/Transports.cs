using Microsoft.Extensions.DependencyInjection.Extensions;

namespace PushCompare.Metering;

/// <summary>Who chooses the key a session's figures are listed under in <c>/api/stats</c>.</summary>
public enum SessionKeying
{
    /// <summary>The server issues it (a keyed hash of a polling session's id): it names the figures and grants nothing.</summary>
    ServerIssued,

    /// <summary>The client names its connection (<c>?client=</c>), because it cannot read any answer of the server's; a key
    /// already used by another connection is refused.</summary>
    ClientChosen,
}

/// <summary>How the bytes after an HTTP upgrade are framed, so the metering can count frames without naming a transport.</summary>
public enum WireFraming
{
    None,

    /// <summary>RFC 6455 §5.2 frames, read passively by <see cref="WebSocketFrameScanner"/>.</summary>
    Rfc6455,
}

/// <summary>
/// One transport as the rest of the app sees it: its id (JSON keys, metric tags, the page's columns, the bench's
/// <c>--transport</c>), its label, how its sessions are keyed and how its upgraded bytes are framed. Each transport
/// declares one in its own folder and registers it with <see cref="TransportRegistration.AddTransport"/>.
/// </summary>
public sealed record TransportDescriptor(string Id, string Label, SessionKeying Keying, WireFraming Framing = WireFraming.None);

/// <summary>
/// Every transport the app serves, in registration order, plus the metering's own bucket <see cref="Other"/> for the
/// page, <c>/api/stats</c> and anything no transport claimed. The only list of transports there is.
/// </summary>
public sealed class TransportRegistry
{
    /// <summary>Bytes no transport claimed; kept out of every comparison.</summary>
    public static readonly TransportDescriptor Other = new("other", "Other (page, stats, unknown)", SessionKeying.ServerIssued);

    private readonly Dictionary<TransportDescriptor, int> _index = [];
    private readonly Lazy<Func<int>>[] _openSessions; // resolved on first read: a transport's services may need the metering

    internal TransportRegistry(IEnumerable<TransportRegistration.Entry> entries, IServiceProvider services)
    {
        var list = entries.ToList();
        Transports = [.. list.Select(e => e.Descriptor)];
        All = [.. Transports, Other];
        for (int i = 0; i < All.Count; i++)
        {
            if (!_index.TryAdd(All[i], i)) throw new InvalidOperationException($"Transport '{All[i].Id}' is registered twice.");
        }
        if (All.Select(t => t.Id).Distinct(StringComparer.Ordinal).Count() != All.Count)
            throw new InvalidOperationException("Two transports share an id: " + string.Join(", ", All.Select(t => t.Id)));
        _openSessions = [.. list.Select(e => new Lazy<Func<int>>(() => e.OpenSessions(services))), new(() => static () => 0)];
    }

    /// <summary>The transports, in the order they were registered (the order of every listing).</summary>
    public IReadOnlyList<TransportDescriptor> Transports { get; }

    /// <summary><see cref="Transports"/> and then <see cref="Other"/>.</summary>
    public IReadOnlyList<TransportDescriptor> All { get; }

    /// <summary>Position in <see cref="All"/>: the index of per-transport arrays.</summary>
    public int IndexOf(TransportDescriptor transport) =>
        _index.TryGetValue(transport, out int i) ? i : throw new ArgumentException($"Transport '{transport.Id}' is not registered.", nameof(transport));

    /// <summary>Whether this process serves <paramref name="transport"/> (it is registered here, or is "other").</summary>
    public bool Serves(TransportDescriptor transport) => _index.ContainsKey(transport);

    /// <summary>Sessions of a transport open now, as the transport itself counts them (exact, whatever the metering tracks).</summary>
    public int OpenSessions(TransportDescriptor transport) => _openSessions[IndexOf(transport)].Value();
}

public static class TransportRegistration
{
    internal sealed record Entry(TransportDescriptor Descriptor, Func<IServiceProvider, Func<int>> OpenSessions);

    /// <summary>
    /// Declares a transport; <paramref name="openSessions"/> gives the count of its open sessions (read by
    /// <c>/api/stats</c> and the <c>pushcompare.sessions</c> gauge).
    /// </summary>
    public static IServiceCollection AddTransport(this IServiceCollection services, TransportDescriptor transport,
        Func<IServiceProvider, Func<int>> openSessions)
    {
        services.AddSingleton(new Entry(transport, openSessions));
        services.TryAddSingleton(sp => new TransportRegistry(sp.GetServices<Entry>(), sp));
        return services;
    }
}
