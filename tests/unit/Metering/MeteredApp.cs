using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace PushCompare.UnitTests.Metering;

/// <summary>The real app on a real Kestrel port (port 0), so metering sees actual TCP connections.</summary>
internal sealed class MeteredApp : WebApplicationFactory<Program>
{
    private readonly (string Key, string Value)[] _settings;
    private readonly HttpClient _statsClient;

    public MeteredApp(params (string Key, string Value)[] settings)
    {
        _settings = settings;
        // Listen(port 0) rather than UseKestrel(0): the latter rewrites the server addresses while the app's own Run may
        // already be starting the server ("Addresses cannot be modified after the server has started").
        UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        StartServer();
        string address = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address.Replace("localhost", "127.0.0.1", StringComparison.Ordinal));
        _statsClient = new HttpClient { BaseAddress = BaseAddress };
    }

    public Uri BaseAddress { get; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in _settings) builder.UseSetting(key, value);
    }

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
