using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using PushCompare.UnitTests.Infrastructure;
using PushCompare.Metering;
using PushCompare.Web.WebSockets;

namespace PushCompare.UnitTests.Metering;

/// <summary>
/// Which transport a request's bytes count as: the one whose endpoint claims it (the metering itself knows no path),
/// "other" for everything nobody claims, and the one registry every listing is built from.
/// </summary>
public sealed class ClassificationTests : IClassFixture<ClassificationTests.App>
{
    public sealed class App() : MeteredApp(("Metering:MaxTrackedSessions", "1000"));

    private readonly App _app;

    public ClassificationTests(App app) => _app = app;

    [Fact]
    public async Task The_registry_lists_every_transport_once_in_order_and_stats_follow_it()
    {
        var registry = _app.Services.GetRequiredService<TransportRegistry>();
        Assert.Equal(["websocket", "longpoll", "shortpoll", "sse", "other"], registry.All.Select(t => t.Id));

        var transports = (await _app.StatsAsync())["transports"]!.AsObject();
        Assert.Equal(registry.All.Select(t => t.Id), transports.Select(p => p.Key));
        Assert.Equal(registry.All.Select(t => t.Label), transports.Select(p => p.Value!["label"]!.GetValue<string>()));
        Assert.Equal(StatsSnapshot.CurrentVersion, (await _app.StatsAsync())["version"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("/polling")]
    [InlineData("/poll/never-issued-id?cursor=0")]
    [InlineData("/api/stats")]
    [InlineData("/index.html")]
    [InlineData("/nothing-here")]
    [InlineData("/healthz")]
    [InlineData("/readyz")]
    public async Task A_request_no_transport_claims_counts_as_other(string url)
    {
        using var client = new HttpClient { BaseAddress = _app.BaseAddress };
        await client.GetAsync("/"); // the connection exists, so only the request below moves the figures
        var before = await Requests();
        using var response = await client.GetAsync(url);
        var after = await Requests();
        // The stats reads themselves are "other" too, on the stats client's own connection: one each.
        Assert.Equal(before["other"] + 2, after["other"]);
        foreach (var id in new[] { "websocket", "longpoll", "shortpoll", "sse" }) Assert.Equal(before[id], after[id]);
    }

    private async Task<Dictionary<string, long>> Requests()
    {
        var transports = (await _app.StatsAsync())["transports"]!.AsObject();
        return transports.ToDictionary(p => p.Key, p => p.Value!["requests"]!.GetValue<long>());
    }

    [Theory]
    [InlineData("?client=abc-DEF_123", true, "abc-DEF_123")]
    [InlineData("", true, null)]
    [InlineData("?client=", false, null)]
    [InlineData("?client=a%20b", false, null)]
    [InlineData("?client=a&client=b", false, null)]
    public void The_client_key_is_a_short_url_safe_token(string query, bool valid, string? expected)
    {
        var context = new DefaultHttpContext();
        context.Request.QueryString = new QueryString(query);
        Assert.Equal(valid, WebSocketEchoEndpoint.TryParseClientKey(context.Request, out string? key));
        Assert.Equal(expected, key);
    }

    [Fact]
    public void A_client_key_longer_than_64_characters_is_not_a_key()
    {
        var context = new DefaultHttpContext();
        context.Request.QueryString = new QueryString("?client=" + new string('k', 65));
        Assert.False(WebSocketEchoEndpoint.TryParseClientKey(context.Request, out _));
    }
}
