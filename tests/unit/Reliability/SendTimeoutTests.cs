using System.Net.Http.Json;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using PushCompare.UnitTests.Infrastructure;

namespace PushCompare.UnitTests.Reliability;

/// <summary>
/// A 500 ms send bound, 1 ms ticks allowed, and small server-side socket buffers (1 KiB asked for the kernel's send
/// buffer, 1 KiB transport write buffer) so a peer that stops reading backs the server's sends up within a few hundred
/// ticks (about a second) rather than megabytes.
/// </summary>
public sealed class StalledPeerApp : AppFactory
{
    public StalledPeerApp() : base(("WebSockets:SendTimeout", "00:00:00.500"), ("Messaging:MinPushInterval", "00:00:00.001"))
    {
        StartOnKestrel();
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSmallSocketBuffers();
    }
}

/// <summary>A send that cannot complete (the peer stopped reading) is bounded by WebSockets:SendTimeout.</summary>
public sealed class SendTimeoutTests(StalledPeerApp app) : IClassFixture<StalledPeerApp>
{
    [Fact]
    public async Task A_push_stream_to_a_peer_that_never_reads_is_dropped_while_another_client_keeps_echoing()
    {
        string key = $"stalled-{Guid.NewGuid():N}";
        using var bystander = await ConnectAsync();
        // Never read, never send: only the server's ticks (every 1 ms) fill the buffers until a tick send blocks.
        await using var stalled = await RawConnection.OpenWebSocketAsync(app.KestrelAddress, $"/ws?push=1&client={key}", receiveBufferSize: 1024);

        int echoes = await EchoUntilClosedAsync(bystander, key);

        Assert.True(echoes > 0, "the bystander should have been answered while the stalled peer was open");
    }

    [Fact]
    public async Task Echo_replies_to_a_peer_that_never_reads_are_dropped_with_it_while_another_client_keeps_echoing()
    {
        string key = $"flood-{Guid.NewGuid():N}";
        using var bystander = await ConnectAsync();
        await using var stalled = await RawConnection.OpenWebSocketAsync(app.KestrelAddress, $"/ws?echo=exact&client={key}", receiveBufferSize: 4096);

        // At most 200 messages of 32 KiB whose replies are never read; the writes stop by themselves once the server,
        // blocked on a reply, stops reading (or once it has dropped the connection).
        var flood = Task.Run(async () =>
        {
            var frame = ClientFrame.Build(ServerFrame.Binary, new byte[32 * 1024]);
            for (int i = 0; i < 200; i++) await stalled.WriteAsync(frame);
        });

        int echoes = await EchoUntilClosedAsync(bystander, key);

        Assert.True(echoes > 0, "the bystander should have been answered while the stalled peer was open");
        var ended = await Record.ExceptionAsync(() => flood);
        Assert.True(ended is null or IOException or OperationCanceledException, $"the flood ended with {ended}");
    }

    private async Task<ClientWebSocket> ConnectAsync()
    {
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri($"ws://{app.KestrelAddress.Authority}/ws"), CancellationToken.None);
        return socket;
    }

    /// <summary>Echoes on <paramref name="bystander"/> until the server reports the stalled session's connection closed.</summary>
    private async Task<int> EchoUntilClosedAsync(WebSocket bystander, string stalledKey)
    {
        using var http = new HttpClient { BaseAddress = app.KestrelAddress };
        int echoes = 0;
        await Eventually.AssertAsync(async () =>
        {
            Assert.Equal($"Received: {echoes}", await bystander.EchoTextAsync($"{echoes}"));
            echoes++;
            var session = (await http.GetFromJsonAsync<JsonNode>($"/api/stats?session={stalledKey}"))!["sessions"]!.AsArray().SingleOrDefault();
            return session is not null && !session["open"]!.GetValue<bool>();
        }, "the server drops the connection of the peer that stopped reading", deadline: TimeSpan.FromSeconds(20));
        return echoes;
    }
}
