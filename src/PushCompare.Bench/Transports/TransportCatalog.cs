namespace PushCompare.Bench.Transports;

/// <summary>
/// The transports the bench can drive, in its own order; which of them a server offers is the server's to say
/// (<c>GET /api/stats</c> "transports"). Adding a transport: its file, and one line here.
/// </summary>
public static class TransportCatalog
{
    public static IReadOnlyList<BenchTransport> All { get; } =
    [
        new WebSocketTransport(),
        new LongPollTransport(),
        new ShortPollTransport(),
        new SseTransport(),
    ];

    /// <summary>Ids the bench has a client for, in its own order.</summary>
    public static IReadOnlyList<string> Ids { get; } = [.. All.Select(t => t.Id)];

    public static bool TryGet(string id, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out BenchTransport? transport)
    {
        transport = All.FirstOrDefault(t => t.Id.Equals(id, StringComparison.OrdinalIgnoreCase));
        return transport is not null;
    }

    /// <summary>The transport a result names (reports read results, which carry the id); null for one the bench does not know.</summary>
    public static BenchTransport? Find(string id) => TryGet(id, out var t) ? t : null;
}
