using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using PushCompare.Hosting;
using PushCompare.Metering;
using PushCompare.UnitTests.Infrastructure;

namespace PushCompare.UnitTests.Metering;

/// <summary>
/// The real gateway (as a process) in front of one instance: a client's own bytes through the gateway equal, to the
/// byte, what the gateway's <c>/api/stats</c> shows for its session; the instance's figures for the same session are
/// its <c>upstream</c>; the client never sees <c>PushCompare-Attribution</c>, and a <c>PushCompare-Gateway</c> it sends
/// itself never reaches the instance (the instance sees the gateway's alone).
/// </summary>
public sealed class GatewayMeteringTests(GatewayInFront cluster) : IClassFixture<GatewayInFront>
{
    private const string ForgedAsk = "from-the-browser";

    [Fact]
    public async Task A_long_polling_session_through_the_gateway_counts_the_clients_own_bytes_and_the_instances_as_upstream()
    {
        var wire = new CountingConnections();
        using var client = new HttpClient(wire.CreateHandler()) { BaseAddress = cluster.Gateway };
        client.DefaultRequestHeaders.Add(GatewayAttribution.RequestHeader, ForgedAsk);
        client.DefaultRequestHeaders.TryAddWithoutValidation(GatewayAttribution.ResponseHeader, "websocket; session=someone-else");

        var session = await client.OpenSessionAsync();
        var responses = new List<HttpResponseMessage> { session.Response };
        responses.Add(await client.SendAsync(session.Id, "through the gateway"));
        Assert.Equal(HttpStatusCode.Accepted, responses[^1].StatusCode);
        responses.Add(await client.PollAsync(session.Id, 0));
        Assert.Equal(["Received: through the gateway"], (await PollingClient.ReadBatchAsync(responses[^1])).Messages);
        responses.Add(await client.DeleteSessionAsync(session.Id));
        Assert.Equal(HttpStatusCode.NoContent, responses[^1].StatusCode);
        Assert.All(responses, r => Assert.False(r.Headers.Contains(GatewayAttribution.ResponseHeader), "the attribution reached the client"));

        var stats = await cluster.GatewayStatsAsync(session.StatsKey);
        Assert.Equal(1, stats["gateway"]!["answered"]!.GetValue<int>());
        var own = Assert.Single(stats["sessions"]!.AsArray())!;
        Assert.Equal("longpoll", own["transport"]!.GetValue<string>());
        Assert.Equal(1, wire.Count);
        Assert.Equal((4, wire.Written, wire.Read), (Long(own, "requests"), Long(own, "bytesIn"), Long(own, "bytesOut")));
        Assert.Equal((1, 1), (Long(own, "messagesIn"), Long(own, "messagesOut"))); // counted by the instance

        // The instance's own figures for the session are the gateway's upstream: larger by the forwarded headers.
        var instance = Assert.Single((await cluster.InstanceStatsAsync(session.StatsKey))["sessions"]!.AsArray())!;
        var upstream = own["upstream"]!;
        Assert.Equal((4, Long(instance, "bytesIn"), Long(instance, "bytesOut")), (Long(upstream, "requests"), Long(upstream, "bytesIn"), Long(upstream, "bytesOut")));
        Assert.True(Long(upstream, "bytesIn") > wire.Written);

        // Every request of the session reached the instance with the gateway's ask alone, never the client's.
        var asked = cluster.Instance.Seen.Where(s => s.Path.StartsWith("/poll", StringComparison.Ordinal)).ToList();
        Assert.True(asked.Count >= 4, $"the instance saw {asked.Count} polling requests");
        Assert.All(asked, s => Assert.Equal([GatewayAttribution.RequestValue], s.Asks));
    }

    [Fact]
    public async Task A_WebSocket_through_the_gateway_counts_the_clients_handshake_and_frames_scanned_at_the_gateway()
    {
        string key = "gw-" + Guid.NewGuid().ToString("N");
        var wire = new CountingConnections();
        using var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.Zero; // no unsolicited pongs
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.SetRequestHeader(GatewayAttribution.RequestHeader, ForgedAsk);
        using var invoker = new HttpMessageInvoker(wire.CreateHandler());
        await socket.ConnectAsync(new Uri($"ws://{cluster.Gateway.Authority}/ws?client={key}"), invoker, CancellationToken.None);
        Assert.False(socket.HttpResponseHeaders!.ContainsKey(GatewayAttribution.ResponseHeader), "the attribution reached the client in the 101");

        await socket.SendAsync("hello"u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
        var buffer = new byte[64];
        var reply = await socket.ReceiveAsync(buffer, CancellationToken.None);
        Assert.Equal("Received: hello", Encoding.UTF8.GetString(buffer, 0, reply.Count));
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None); // returns with the server's close

        var own = Assert.Single((await cluster.GatewayStatsAsync(key))["sessions"]!.AsArray())!;
        Assert.Equal("websocket", own["transport"]!.GetValue<string>());
        Assert.Equal((1, wire.Written, wire.Read), (Long(own, "requests"), Long(own, "bytesIn"), Long(own, "bytesOut")));
        // The gateway scanned the RFC 6455 frames on its side: "hello" and the close up (masked), the echo and the close down.
        Assert.Equal((2, 1, 2, 1), (Long(own, "framesIn"), Long(own, "controlFramesIn"), Long(own, "framesOut"), Long(own, "controlFramesOut")));
        Assert.Equal(Rfc6455Framing.HeaderLength(5, masked: true) + Rfc6455Framing.HeaderLength(2, masked: true), Long(own, "frameHeaderBytesIn"));
        Assert.Equal((1, 1), (Long(own, "messagesIn"), Long(own, "messagesOut")));

        var instance = Assert.Single((await cluster.InstanceStatsAsync(key))["sessions"]!.AsArray())!;
        var upstream = own["upstream"]!;
        Assert.Equal((Long(instance, "bytesIn"), Long(instance, "bytesOut")), (Long(upstream, "bytesIn"), Long(upstream, "bytesOut")));
        Assert.Equal(Long(instance, "framesIn"), Long(own, "framesIn")); // the frames pass the gateway unchanged
        Assert.Equal([GatewayAttribution.RequestValue], cluster.Instance.Seen.Single(s => s.Path == "/ws" && s.Query.Contains(key, StringComparison.Ordinal)).Asks);
    }

    [Fact]
    public async Task A_foreign_page_gets_the_instances_403_from_the_gateways_stats_and_resets_nothing()
    {
        using var http = new HttpClient { BaseAddress = cluster.Gateway };
        var since = (await http.GetFromJsonAsync<JsonNode>("/api/stats"))!["since"]!.GetValue<DateTimeOffset>();
        var instanceSince = (await cluster.InstanceStatsAsync("none"))["since"]!.GetValue<DateTimeOffset>();

        foreach (var (method, path) in new[] { (HttpMethod.Get, "/api/stats"), (HttpMethod.Post, "/api/stats/reset") })
        {
            using var request = new HttpRequestMessage(method, path);
            request.Headers.Add("Origin", "http://evil.example");
            using var refused = await http.SendAsync(request);
            var problem = await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.Forbidden);
            Assert.Contains("http://evil.example", ProblemAssert.Detail(problem)); // the instance's own sentence, passed on
            Assert.Equal("no-store", refused.Headers.CacheControl?.ToString());
        }

        Assert.Equal(since, (await http.GetFromJsonAsync<JsonNode>("/api/stats"))!["since"]!.GetValue<DateTimeOffset>());
        Assert.Equal(instanceSince, (await cluster.InstanceStatsAsync("none"))["since"]!.GetValue<DateTimeOffset>());
    }

    private static long Long(JsonNode node, string name) => node[name]!.GetValue<long>();
}

/// <summary>One instance of the real app on Kestrel and the built gateway in front of it, as a process.</summary>
public sealed class GatewayInFront : IAsyncLifetime
{
    private ChildProcess? _gateway;
    private readonly HttpClient _stats = new();

    public RecordingInstance Instance { get; } = new();

    public Uri Gateway { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        string dll = DotnetApp.BuildMetadata(typeof(GatewayInFront).Assembly, "PushCompare.GatewayDll")!;
        (_gateway, Gateway) = await DotnetApp.StartAsync("the gateway", dll, [$"Gateway:Destinations:0={Instance.KestrelAddress}"], [], CancellationToken.None);
    }

    /// <summary>The gateway's own <c>/api/stats?session=KEY</c>.</summary>
    public async Task<JsonNode> GatewayStatsAsync(string key) =>
        (await _stats.GetFromJsonAsync<JsonNode>(new Uri(Gateway, "/api/stats?session=" + Uri.EscapeDataString(key))))!;

    /// <summary>The instance's <c>/api/stats?session=KEY</c>, asked directly.</summary>
    public async Task<JsonNode> InstanceStatsAsync(string key) =>
        (await _stats.GetFromJsonAsync<JsonNode>(new Uri(Instance.KestrelAddress, "/api/stats?session=" + Uri.EscapeDataString(key))))!;

    public async Task DisposeAsync()
    {
        _stats.Dispose();
        if (_gateway is not null) await _gateway.DisposeAsync();
        await Instance.DisposeAsync();
    }
}

/// <summary>The real app on Kestrel, recording with which <c>PushCompare-Gateway</c> values each request arrived.</summary>
public sealed class RecordingInstance : AppFactory
{
    public RecordingInstance() : base(("WebSockets:KeepAliveInterval", "01:00:00")) // no server pings in the byte counts
    {
        StartOnKestrel();
    }

    public ConcurrentQueue<(string Path, string Query, string[] Asks)> Seen { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureServices(services => services.AddSingleton<IStartupFilter>(new Recorder(Seen)));
    }

    // Ahead of the app's own pipeline: what the request carried when it arrived.
    private sealed class Recorder(ConcurrentQueue<(string, string, string[])> seen) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, inner) =>
            {
                seen.Enqueue((context.Request.Path.Value ?? "", context.Request.QueryString.Value ?? "",
                    context.Request.Headers[GatewayAttribution.RequestHeader].Select(v => v ?? "").ToArray()));
                return inner(context);
            });
            next(app);
        };
    }
}
