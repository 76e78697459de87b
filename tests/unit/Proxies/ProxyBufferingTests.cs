using System.Net;
using PushCompare.Hosting.Proxies;
using PushCompare.UnitTests.Cluster;
using PushCompare.UnitTests.Infrastructure;

namespace PushCompare.UnitTests.Proxies;

/// <summary>
/// The app on real Kestrel with a real nginx in front whose configuration is the shipped deploy/nginx.conf without its
/// <c>proxy_buffering off;</c> line: nginx's default, which buffers responses. The app's own
/// <c>X-Accel-Buffering: no</c> on the stream and the held poll is all that turns buffering off.
/// </summary>
public sealed class DefaultBufferingNginx : AppFactory, IAsyncLifetime
{
    public const string BufferingOff = "        proxy_buffering off;\n";

    public DefaultBufferingNginx() : base(
        ("Security:TrustedProxies:0", "127.0.0.1"),
        // No idle heartbeat: the only events on a stream are the one it starts with and the replies, so a reply that
        // arrives came through nginx when it was written, not pushed out by the bytes after it.
        ("ServerSentEvents:HeartbeatInterval", "01:00:00"),
        ("LongPolling:PollTimeout", "00:01:00"))
    {
    }

    public ProxyProcess Nginx { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        StartOnKestrel();
        var shipped = await File.ReadAllTextAsync(BalancedCluster.ShippedConfiguration(ProxyProgram.Nginx));
        Assert.Contains(BufferingOff, shipped); // the line this variant removes is there to remove
        Nginx = await ProxyProcess.StartBalancerAsync(ProxyProgram.Nginx, shipped.Replace(BufferingOff, "", StringComparison.Ordinal),
            [KestrelAddress], CancellationToken.None);
    }

    /// <summary>A client of the app through nginx.</summary>
    public HttpClient CreateNginxClient() => new() { BaseAddress = Nginx.Address, Timeout = TimeSpan.FromMinutes(2) };

    async Task IAsyncLifetime.DisposeAsync()
    {
        if (Nginx is not null) await Nginx.DisposeAsync();
        await DisposeAsync();
    }
}

/// <summary>
/// <c>X-Accel-Buffering: no</c>: declared by the two endpoints whose answers must not wait in a proxy's buffer (the SSE
/// stream and the held poll), on every answer of theirs and nowhere else; and through an nginx left at its default
/// (buffering on), a stream's events and a held poll's reply arrive as the instance writes them. (nginx 1.22 was also
/// measured passing them on at once when told to ignore the header, docs/proxies.md: the header makes it so by nginx's
/// documented rule, not by one version's behaviour.)
/// </summary>
public sealed class ProxyBufferingTests(DefaultBufferingNginx app) : IClassFixture<DefaultBufferingNginx>
{
    [Fact]
    public async Task The_stream_and_the_held_poll_say_X_Accel_Buffering_no_and_nothing_else_does()
    {
        using var http = new HttpClient { BaseAddress = app.KestrelAddress };
        var poll = await http.OpenSessionAsync();
        var sse = await http.OpenStreamSessionAsync();

        using (var answered = await http.GetAsync($"/poll/{poll.Id}?cursor=0&wait=0"))
            Assert.Equal(["no"], answered.Headers.GetValues("X-Accel-Buffering"));
        using (var unknown = await http.GetAsync("/poll/doesnotexist?cursor=0"))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
            Assert.Equal(["no"], unknown.Headers.GetValues("X-Accel-Buffering")); // a refusal of the endpoint too
        }
        await using (var stream = await EventStream.OpenAsync(http, sse.Id))
            Assert.Equal(["no"], stream.Response.Headers.GetValues("X-Accel-Buffering"));

        Assert.False(poll.Response.Headers.Contains("X-Accel-Buffering")); // POST /poll: one complete answer, nothing to hold back
        using var send = await http.SendAsync(poll.Id, "hi");
        Assert.False(send.Headers.Contains("X-Accel-Buffering"));
        using var page = await http.GetAsync("/");
        Assert.False(page.Headers.Contains("X-Accel-Buffering"));
    }

    [Fact]
    public async Task Through_nginx_buffering_by_default_each_stream_event_arrives_while_the_stream_stays_open()
    {
        using var http = app.CreateNginxClient();
        var sse = await http.OpenStreamSessionAsync();
        await using var stream = await EventStream.OpenAsync(http, sse.Id);
        Assert.False(stream.Response.Headers.Contains("X-Accel-Buffering")); // nginx takes the header as an instruction, not for the browser

        Assert.Equal("heartbeat", (await stream.NextAsync())?.Type); // the event a stream starts with
        for (int i = 1; i <= 3; i++)
        {
            await http.SendStreamAcceptedAsync(sse.Id, $"event {i}", $"?seq={i}");
            Assert.Equal($"Received: event {i}", (await stream.NextMessageAsync())?.Data); // tens of bytes: far below a buffer's 4 KiB
        }
    }

    [Fact]
    public async Task Through_nginx_buffering_by_default_a_held_poll_is_answered_when_a_reply_is_written()
    {
        using var http = app.CreateNginxClient();
        var session = await http.OpenSessionAsync();
        var held = http.PollAsync(session.Id, 0);
        await app.WaitUntilHeldAsync(session.Id); // nginx passed the poll on, and the instance holds it

        await http.SendAcceptedAsync(session.Id, "through nginx");

        using var answered = await held.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(["Received: through nginx"], (await PollingClient.ReadBatchAsync(answered)).Messages);
    }
}

/// <summary>
/// <c>PushCompare-Behind-Proxy</c> on <c>/api/stats</c>: the page learns that its figures were read through a balancer
/// that does not meter (a trusted proxy's X-Forwarded-For), and from which address, but not through the gateway, which
/// meters the browser's own connection, nor when the request came straight from its client.
/// </summary>
public sealed class BehindProxyTests(DefaultBufferingNginx app) : IClassFixture<DefaultBufferingNginx>
{
    [Fact]
    public async Task Through_nginx_the_figures_name_the_balancer_they_were_read_through()
    {
        using var http = app.CreateNginxClient();
        using var stats = await http.GetAsync("/api/stats");
        Assert.Equal(HttpStatusCode.OK, stats.StatusCode);
        Assert.StartsWith("127.0.0.1:", Assert.Single(stats.Headers.GetValues("PushCompare-Behind-Proxy")));
    }

    [Fact]
    public async Task Straight_from_the_client_or_through_the_metering_gateway_nothing_is_named()
    {
        using var http = new HttpClient { BaseAddress = app.KestrelAddress };
        using var direct = await http.GetAsync("/api/stats");
        Assert.False(direct.Headers.Contains("PushCompare-Behind-Proxy"));

        using var viaGateway = new HttpRequestMessage(HttpMethod.Get, "/api/stats");
        viaGateway.Headers.Add("X-Forwarded-For", "192.0.2.7"); // from 127.0.0.1, a trusted proxy: believed
        viaGateway.Headers.Add(PushCompare.Metering.GatewayAttribution.RequestHeader, "1");
        using var gateway = await http.SendAsync(viaGateway);
        Assert.False(gateway.Headers.Contains("PushCompare-Behind-Proxy"));
    }
}
