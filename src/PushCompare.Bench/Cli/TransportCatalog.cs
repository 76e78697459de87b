namespace PushCompare.Bench.Cli;

/// <summary>
/// The bench's own map from a transport's id (the key the server gives it in <c>GET /api/stats</c> "transports", and
/// the value of <c>--transport</c>) to the client that drives it. Which transports exist is the server's to say; this
/// only says which ones the bench can measure.
/// </summary>
public static class TransportCatalog
{
    private static readonly (string Id, Transport Transport)[] Entries =
    [
        ("websocket", Transport.WebSocket),
        ("longpoll", Transport.LongPoll),
        ("shortpoll", Transport.ShortPoll),
        ("sse", Transport.Sse),
    ];

    /// <summary>Ids the bench has a client for, in its own order.</summary>
    public static IReadOnlyList<string> Ids { get; } = [.. Entries.Select(e => e.Id)];

    public static bool TryGet(string id, out Transport transport)
    {
        foreach (var (known, t) in Entries)
        {
            if (known.Equals(id, StringComparison.OrdinalIgnoreCase))
            {
                transport = t;
                return true;
            }
        }
        transport = default;
        return false;
    }

    /// <summary>The server's id of a transport (what reports and <c>--transport</c> call it).</summary>
    public static string Id(this Transport transport) => Array.Find(Entries, e => e.Transport == transport).Id
        ?? throw new ArgumentOutOfRangeException(nameof(transport), transport, null);
}
