using System.Net;
using System.Text.Json;

namespace PushCompare.Bench.Targets;

/// <summary>One transport a server offers: its id (the bench's <c>--transport</c> value) and its label for people.</summary>
public sealed record OfferedTransport(string Id, string Label);

/// <summary>
/// Reads the transports a server offers from its registry as <c>GET /api/stats</c> publishes it:
/// <c>{"transports": {"websocket": {"label": "WebSocket", …}, …, "other": {…}}}</c>, in the server's order. "other" is
/// the metering's bucket for bytes no transport claimed, not a transport.
/// </summary>
internal static class TransportRegistryReader
{
    private const string OtherBucket = "other";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    public static async Task<IReadOnlyList<OfferedTransport>> ReadAsync(Uri baseUri, string targetName, CancellationToken cancel)
    {
        var url = new Uri(baseUri, "/api/stats");
        using var http = new HttpClient(Clients.LoopbackTls.Handler(baseUri)) { Timeout = Timeout };
        string body;
        HttpStatusCode status;
        try
        {
            using var response = await http.GetAsync(url, cancel);
            status = response.StatusCode;
            body = await response.Content.ReadAsStringAsync(cancel);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancel.IsCancellationRequested)
        {
            throw new BenchSetupException($"{targetName}: GET {url} failed ({ex.Message}); the bench reads the transports a server offers from there.", ex);
        }
        if (status != HttpStatusCode.OK)
        {
            throw new BenchSetupException($"{targetName}: GET {url} answered {(int)status}; the bench reads the transports a server offers from its " +
                "\"transports\" (a server measured with --url must publish them there too).");
        }
        try
        {
            return Parse(body);
        }
        catch (JsonException ex)
        {
            throw new BenchSetupException($"{targetName}: GET {url} did not list transports ({ex.Message}).", ex);
        }
    }

    /// <summary>The ids and labels under "transports", "other" left out; throws <see cref="JsonException"/> when there are none.</summary>
    public static IReadOnlyList<OfferedTransport> Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("transports", out var transports) ||
            transports.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException("there is no \"transports\" object");
        }
        var offered = new List<OfferedTransport>();
        foreach (var entry in transports.EnumerateObject())
        {
            if (entry.Name.Equals(OtherBucket, StringComparison.OrdinalIgnoreCase)) continue;
            string label = entry.Value.ValueKind == JsonValueKind.Object && entry.Value.TryGetProperty("label", out var l) && l.ValueKind == JsonValueKind.String
                ? l.GetString()! : entry.Name;
            offered.Add(new OfferedTransport(entry.Name, label));
        }
        if (offered.Count == 0) throw new JsonException("\"transports\" names no transport");
        return offered;
    }
}
