using System.Net.Http.Json;
using System.Text.Json.Nodes;
using PushCompare.UnitTests.Infrastructure;

namespace PushCompare.UnitTests.Metering;

/// <summary>The real app on a real Kestrel port (port 0), so metering sees actual TCP connections.</summary>
public class MeteredApp : AppFactory
{
    private readonly HttpClient _statsClient;

    public MeteredApp(params (string Key, string Value)[] settings) : base(settings)
    {
        StartOnKestrel();
        _statsClient = new HttpClient { BaseAddress = BaseAddress };
    }

    public Uri BaseAddress => KestrelAddress;

    /// <summary>Reads <c>/api/stats</c> over a connection of its own (counted as "other").</summary>
    public async Task<JsonNode> StatsAsync(string? session = null)
    {
        string query = session is null ? "" : "?session=" + Uri.EscapeDataString(session);
        return (await _statsClient.GetFromJsonAsync<JsonNode>("/api/stats" + query))!;
    }

    public async Task<JsonNode> TransportAsync(string transport) => (await StatsAsync())["transports"]![transport]!;

    public async Task<JsonNode?> SessionAsync(string key) => (await StatsAsync(key))["sessions"]!.AsArray().SingleOrDefault();

    public override async ValueTask DisposeAsync()
    {
        _statsClient.Dispose();
        await base.DisposeAsync();
    }
}
