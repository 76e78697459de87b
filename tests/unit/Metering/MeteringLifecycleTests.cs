using PushCompare.UnitTests.Infrastructure;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using PushCompare.Metering;

namespace PushCompare.UnitTests.Metering;

/// <summary>Reset, the off switch, the session filter and the System.Diagnostics.Metrics instruments.</summary>
public sealed class MeteringLifecycleTests
{
    [Fact]
    public async Task Reset_starts_every_figure_afresh()
    {
        await using var app = new MeteredApp();
        using var client = new HttpClient { BaseAddress = app.BaseAddress };
        string key = await OpenAndEchoAsync(client);
        var before = await app.StatsAsync();
        Assert.True(before["transports"]!["longpoll"]!["bytesIn"]!.GetValue<long>() > 0);

        Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsync("/api/stats/reset", null)).StatusCode);

        var after = await app.StatsAsync();
        var lp = after["transports"]!["longpoll"]!;
        Assert.Equal(0, lp["bytesIn"]!.GetValue<long>());
        Assert.Equal(0, lp["messagesOut"]!.GetValue<long>());
        Assert.Equal(0, lp["latency"]!["count"]!.GetValue<long>());
        Assert.True(after["since"]!.GetValue<DateTimeOffset>() > before["since"]!.GetValue<DateTimeOffset>());
        // The session is still open, so it stays listed with figures from zero.
        var own = (await app.SessionAsync(key))!;
        Assert.Equal(0, own["bytesIn"]!.GetValue<long>());
    }

    [Fact]
    public async Task Turned_off_nothing_is_counted_and_the_stats_say_so()
    {
        await using var app = new MeteredApp(("Metering:Enabled", "false"));
        using var client = new HttpClient { BaseAddress = app.BaseAddress };
        await OpenAndEchoAsync(client);

        var stats = await app.StatsAsync();
        Assert.False(stats["enabled"]!.GetValue<bool>());
        foreach (var name in new[] { "websocket", "longpoll", "shortpoll", "other" })
        {
            Assert.Equal(0, stats["transports"]![name]!["bytesIn"]!.GetValue<long>());
            Assert.Equal(0, stats["transports"]![name]!["requests"]!.GetValue<long>());
        }
        Assert.Empty(stats["sessions"]!.AsArray());
    }

    [Fact]
    public async Task The_session_filter_lists_only_the_asked_session()
    {
        await using var app = new MeteredApp();
        using var client = new HttpClient { BaseAddress = app.BaseAddress };
        string first = await OpenAndEchoAsync(client);
        await OpenAndEchoAsync(client);

        Assert.Equal(2, (await app.StatsAsync())["sessions"]!.AsArray().Count);
        var only = (await app.StatsAsync(first))["sessions"]!.AsArray();
        Assert.Equal(first, Assert.Single(only)!["key"]!.GetValue<string>());
        Assert.Empty((await app.StatsAsync("unknown"))["sessions"]!.AsArray());
    }

    [Fact]
    public async Task The_PushCompare_meter_publishes_the_same_totals()
    {
        await using var app = new MeteredApp();
        using var client = new HttpClient { BaseAddress = app.BaseAddress };
        await OpenAndEchoAsync(client);

        var factory = app.Services.GetRequiredService<IMeterFactory>();
        var seen = new Dictionary<string, long>();
        var delivered = new List<double>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "PushCompare" && ReferenceEquals(instrument.Meter.Scope, factory)) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var t = tags.ToArray().ToDictionary(k => k.Key, k => k.Value?.ToString());
            lock (seen) seen[$"{instrument.Name}|{t.GetValueOrDefault("transport")}|{t.GetValueOrDefault("direction")}"] = value;
        });
        listener.SetMeasurementEventCallback<double>((instrument, value, _, _) =>
        {
            if (instrument.Name == "pushcompare.message.delivery.duration") lock (delivered) delivered.Add(value);
        });
        listener.Start();
        listener.RecordObservableInstruments();

        var lp = (await app.StatsAsync())["transports"]!["longpoll"]!;
        Assert.Equal(lp["bytesIn"]!.GetValue<long>(), seen["pushcompare.bytes|longpoll|in"]);
        Assert.Equal(lp["bytesOut"]!.GetValue<long>(), seen["pushcompare.bytes|longpoll|out"]);
        Assert.Equal(1, seen["pushcompare.messages|longpoll|out"]);
        Assert.Equal(lp["requests"]!.GetValue<long>(), seen["pushcompare.requests|longpoll|"]);

        // The histogram records as messages are delivered: one more echo is seen by the listener.
        await OpenAndEchoAsync(client);
        Assert.Single(delivered);
    }

    /// <summary>Opens a long-polling session, echoes once; returns the session's stats key.</summary>
    private static async Task<string> OpenAndEchoAsync(HttpClient client)
    {
        var (id, key, _, _) = await client.OpenSessionAsync();
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync($"/poll/{id}", new StringContent("hi", Encoding.UTF8, "text/plain"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/poll/{id}?cursor=0")).StatusCode);
        return key; // the session's figures are listed under its stats key
    }
}
