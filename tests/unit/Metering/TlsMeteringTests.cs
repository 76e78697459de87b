using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using PushCompare.UnitTests.Infrastructure;
using PushCompare.Web.Http;

namespace PushCompare.UnitTests.Metering;

/// <summary>
/// The app on plain HTTP (for reading the figures) and on two HTTPS endpoints: one configured by code
/// (<c>Listen(...).UseHttps()</c>) and one by configuration (<c>Kestrel:Endpoints</c>), so both ways Kestrel applies
/// TLS after the endpoint defaults are metered.
/// </summary>
public sealed class TlsMeteredApp : AppFactory
{
    private static readonly string Folder = Directory.CreateTempSubdirectory("pushcompare-tls-metering-").FullName;
    private readonly HttpClient _stats;

    public TlsMeteredApp() : base(
        (HttpsCertificates.PathSetting, Path.Combine(Folder, "localhost.pfx")),
        ("Kestrel:Endpoints:Configured:Url", "https://127.0.0.1:0"))
    {
        UseKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0);
            k.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps());
        });
        StartServer();
        _stats = new HttpClient { BaseAddress = new(Addresses.Single(a => a.StartsWith("http:", StringComparison.Ordinal))) };
    }

    private IEnumerable<string> Addresses => Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
        .Select(a => a.Replace("localhost", "127.0.0.1", StringComparison.Ordinal));

    /// <summary>The HTTPS endpoints (both: by code and by configuration).</summary>
    public Uri[] HttpsAddresses => [.. Addresses.Where(a => a.StartsWith("https:", StringComparison.Ordinal)).Select(a => new Uri(a))];

    public async Task<JsonNode> StatsAsync(string? session = null) =>
        (await _stats.GetFromJsonAsync<JsonNode>("/api/stats" + (session is null ? "" : "?session=" + session)))!;

    public async Task ResetAsync() => (await _stats.PostAsync("/api/stats/reset", null)).EnsureSuccessStatusCode();

    public override async ValueTask DisposeAsync()
    {
        _stats.Dispose();
        await base.DisposeAsync();
    }
}

/// <summary>
/// Figures at two layers over TLS, to the byte. A client records its TCP bytes (below its SslStream) and its
/// decrypted bytes (above it); per session the server's HTTP-layer figures equal the decrypted bytes of that session's
/// requests (split by stream on HTTP/2 with an independent frame parse), the wire-layer sums equal the TCP bytes, and
/// the handshake figure equals what crossed TCP before the first HTTP byte.
/// </summary>
public sealed class TlsMeteringTests(TlsMeteredApp app) : IClassFixture<TlsMeteredApp>
{
    private static long Long(JsonNode node, string name) => node[name]!.GetValue<long>();

    private async Task<JsonNode> SessionAsync(string key) => (await app.StatsAsync(key))["sessions"]!.AsArray().Single()!;

    // The server closes its side after the client's; its figures are final once the transport's connection gauge is back to 0.
    private async Task<JsonNode> ClosedAsync(string transport)
    {
        JsonNode? transports = null;
        await Eventually.AssertAsync(async () =>
        {
            transports = (await app.StatsAsync())["transports"]!;
            return Long(transports[transport]!, "connections") == 0;
        }, $"the server closed the {transport} connection");
        return transports!;
    }

    private static HttpClient Client(TlsClientRecorder recorder, Uri address, Version version) => new(recorder.CreateHandler())
    {
        BaseAddress = address,
        DefaultRequestVersion = version,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
    };

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task HTTP1_over_TLS_counts_decrypted_bytes_per_session_and_records_and_the_handshake_on_the_wire(int endpoint)
    {
        await app.ResetAsync();
        var recorder = new TlsClientRecorder();
        string key;
        using (var http = Client(recorder, app.HttpsAddresses[endpoint], HttpVersion.Version11))
        {
            var session = await http.OpenSessionAsync();
            key = session.StatsKey;
            await http.SendAcceptedAsync(session.Id, "over TLS");
            Assert.Equal(["Received: over TLS"], (await http.PollBatchAsync(session.Id, 0)).Messages);
            Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteSessionAsync(session.Id)).StatusCode);
        }
        var longPoll = (await ClosedAsync("longpoll"))["longpoll"]!;
        var own = await SessionAsync(key);

        // HTTP layer: every decrypted byte of the connection was this session's (four requests).
        Assert.Equal(recorder.PlainWritten.Length, Long(own, "bytesIn"));
        Assert.Equal(recorder.PlainRead.Length, Long(own, "bytesOut"));
        Assert.Equal(4, Long(own, "requests"));
        // Wire layer: the session's records, plus the handshake its connection's transport owns, are the TCP bytes.
        Assert.Equal(recorder.HandshakeWritten, Long(longPoll, "tlsHandshakeBytesIn"));
        Assert.Equal(recorder.TcpWritten, Long(own, "wireBytesIn") + Long(longPoll, "tlsHandshakeBytesIn"));
        Assert.Equal(recorder.TcpRead, Long(own, "wireBytesOut") + Long(longPoll, "tlsHandshakeBytesOut"));
        Assert.Equal(recorder.TcpWritten, Long(longPoll, "wireBytesIn"));
        Assert.Equal(recorder.TcpRead, Long(longPoll, "wireBytesOut"));
        Assert.Equal(Long(own, "wireBytesIn") - Long(own, "bytesIn"), Long(own, "tlsRecordBytesIn"));
        Assert.True(Long(own, "tlsRecordBytesIn") >= 4 * 22, "every request travels in at least one record of 22 bytes of overhead (TLS 1.3)");
        Assert.True(recorder.HandshakeRead <= Long(longPoll, "tlsHandshakeBytesOut"));
        Assert.Equal(0, Long(longPoll, "http2ConnectionBytesIn"));
        Assert.Equal(4, longPoll["protocols"]!["http/1.1+tls"]!.GetValue<long>());
        Assert.Equal(0, longPoll["protocols"]!["h2+tls"]!.GetValue<long>());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task HTTP2_attributes_each_streams_frames_to_its_session_and_stream_0_to_the_connection(int endpoint)
    {
        await app.ResetAsync();
        var recorder = new TlsClientRecorder();
        var streams = new List<string>(); // the session of each request, in the order the client opened its streams
        string pollKey, sseKey;
        using (var http = Client(recorder, app.HttpsAddresses[endpoint], HttpVersion.Version20))
        {
            var poll = await http.OpenSessionAsync();
            pollKey = poll.StatsKey;
            await http.SendAcceptedAsync(poll.Id, "first over h2");
            Assert.Equal(["Received: first over h2"], (await http.PollBatchAsync(poll.Id, 0)).Messages);
            await http.SendAcceptedAsync(poll.Id, "second, with HPACK's table warm");
            Assert.Equal(["Received: second, with HPACK's table warm"], (await http.PollBatchAsync(poll.Id, 1)).Messages);
            streams.AddRange([pollKey, pollKey, pollKey, pollKey, pollKey]);

            var sse = await http.OpenStreamSessionAsync();
            sseKey = sse.StatsKey;
            await using (var stream = await EventStream.OpenAsync(http, sse.Id))
            {
                await http.SendStreamAcceptedAsync(sse.Id, "streamed", "?seq=1");
                Assert.Equal(new ServerEvent("message", "1", "Received: streamed", null), await stream.NextMessageAsync());
                streams.AddRange([sseKey, sseKey, sseKey]);
                Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteAsync($"/sse/{sse.Id}")).StatusCode);
                streams.Add(sseKey);
                Assert.Null(await stream.NextMessageAsync()); // the DELETE ends the stream
            }
            Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteSessionAsync(poll.Id)).StatusCode);
            streams.Add(pollKey);

            // Compared while the connection is open and quiet: when it closes Kestrel still writes a GOAWAY the client
            // never reads (it has gone), which the server's figures rightly count.
            long Of(List<(int Stream, long Bytes)> split, string key) =>
                split.Where(s => s.Stream != 0 && streams[(s.Stream - 1) / 2] == key).Sum(s => s.Bytes);
            long Connection(List<(int Stream, long Bytes)> split) => split.Where(s => s.Stream == 0).Sum(s => s.Bytes);
            await AgreeAsync(async () =>
            {
                var up = Http2Split.ByStream(recorder.PlainWritten, clientPreface: true);
                var down = Http2Split.ByStream(recorder.PlainRead, clientPreface: false);
                var stats = await app.StatsAsync();
                var (longPoll, events) = (stats["transports"]!["longpoll"]!, stats["transports"]!["sse"]!);
                var (ownPoll, ownSse) = (await SessionAsync(pollKey), await SessionAsync(sseKey));
                // The connection itself, listed while open with its own figures.
                var connection = stats["tlsConnections"]!.AsArray().Single(c => c!["protocol"]!.GetValue<string>() == "h2+tls")!;
                Assert.Equal("longpoll", connection["transport"]!.GetValue<string>());
                long[] client =
                [
                    Of(up, pollKey), Of(down, pollKey), Of(up, sseKey), Of(down, sseKey), Connection(up), Connection(down), 0,
                    recorder.HandshakeWritten, recorder.TcpWritten, recorder.TcpRead, 6, 4, 6,
                    recorder.TcpWritten, recorder.TcpRead, recorder.PlainWritten.Length - Connection(up), Connection(up), recorder.HandshakeWritten,
                    recorder.TcpWritten,
                ];
                long[] server =
                [
                    Long(ownPoll, "bytesIn"), Long(ownPoll, "bytesOut"), Long(ownSse, "bytesIn"), Long(ownSse, "bytesOut"),
                    // The connection's own frames belong to the transport of its first request (the POST /poll).
                    Long(longPoll, "http2ConnectionBytesIn"), Long(longPoll, "http2ConnectionBytesOut"), Long(events, "http2ConnectionBytesIn"),
                    Long(longPoll, "tlsHandshakeBytesIn"),
                    // Wire layer: the two transports' figures are the connection's TCP bytes, to the byte.
                    Long(longPoll, "wireBytesIn") + Long(events, "wireBytesIn"), Long(longPoll, "wireBytesOut") + Long(events, "wireBytesOut"),
                    Long(ownPoll, "requests"), events["protocols"]!["h2+tls"]!.GetValue<long>(), longPoll["protocols"]!["h2+tls"]!.GetValue<long>(),
                    Long(connection, "wireBytesIn"), Long(connection, "wireBytesOut"), Long(connection, "bytesIn"), Long(connection, "http2ConnectionBytesIn"),
                    Long(connection, "tlsHandshakeBytesIn"),
                    Long(connection, "bytesIn") + Long(connection, "http2ConnectionBytesIn") + Long(connection, "tlsRecordBytesIn") + Long(connection, "tlsHandshakeBytesIn"),
                ];
                return (client, server);
            });
        }
    }

    [Fact]
    public async Task A_WebSocket_over_HTTP2_counts_its_stream_at_both_layers_and_its_RFC_6455_frames()
    {
        await app.ResetAsync();
        var recorder = new TlsClientRecorder();
        string token = Guid.NewGuid().ToString("N");
        using var invoker = new HttpMessageInvoker(recorder.CreateHandler());
        using (var socket = new ClientWebSocket())
        {
            socket.Options.HttpVersion = HttpVersion.Version20;
            socket.Options.HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact;
            socket.Options.KeepAliveInterval = TimeSpan.Zero; // no unsolicited pongs (the server's pings come every 15 s)
            var uri = new UriBuilder(app.HttpsAddresses[0]) { Scheme = "wss", Path = "/ws", Query = "client=" + token }.Uri;
            await socket.ConnectAsync(uri, invoker, CancellationToken.None);
            Assert.Equal("Received: one", await socket.EchoTextAsync("one"));
            Assert.Equal("Received: two", await socket.EchoTextAsync("two"));
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        }

        // The connection stays open (and quiet) while the figures are compared; see the test above.
        await AgreeAsync(async () =>
        {
            var up = Http2Split.ByStream(recorder.PlainWritten, clientPreface: true);
            var down = Http2Split.ByStream(recorder.PlainRead, clientPreface: false);
            var ws = (await app.StatsAsync())["transports"]!["websocket"]!;
            var own = await SessionAsync(token);
            long[] client =
            [
                up.Where(s => s.Stream != 0).Sum(s => s.Bytes), down.Where(s => s.Stream != 0).Sum(s => s.Bytes),
                up.Where(s => s.Stream == 0).Sum(s => s.Bytes), down.Where(s => s.Stream == 0).Sum(s => s.Bytes),
                // Inside the CONNECT stream's DATA: two messages and a close each way, with RFC 6455 headers (masked up).
                3, 3, 1, 3 * 6, 3 * 2,
                recorder.HandshakeWritten, recorder.TcpWritten, recorder.TcpRead,
            ];
            long[] server =
            [
                Long(own, "bytesIn"), Long(own, "bytesOut"), Long(ws, "http2ConnectionBytesIn"), Long(ws, "http2ConnectionBytesOut"),
                Long(own, "framesIn"), Long(own, "framesOut"), Long(own, "controlFramesIn"), Long(own, "frameHeaderBytesIn"), Long(own, "frameHeaderBytesOut"),
                Long(ws, "tlsHandshakeBytesIn"), Long(ws, "wireBytesIn"), Long(ws, "wireBytesOut"),
            ];
            return (client, server);
        });
    }

    [Fact]
    public async Task A_WebSocket_over_HTTP1_and_TLS_is_one_session_at_both_layers()
    {
        await app.ResetAsync();
        var recorder = new TlsClientRecorder();
        string token = Guid.NewGuid().ToString("N");
        using var invoker = new HttpMessageInvoker(recorder.CreateHandler());
        using (var socket = new ClientWebSocket())
        {
            socket.Options.KeepAliveInterval = TimeSpan.Zero;
            await socket.ConnectAsync(new UriBuilder(app.HttpsAddresses[1]) { Scheme = "wss", Path = "/ws", Query = "client=" + token }.Uri, invoker, CancellationToken.None);
            Assert.Equal("Received: sealed", await socket.EchoTextAsync("sealed"));
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        }
        // The upgraded connection is the session's from its handshake to its close: every decrypted byte is its.
        await AgreeAsync(async () =>
        {
            var ws = (await app.StatsAsync())["transports"]!["websocket"]!;
            var own = await SessionAsync(token);
            long[] client = [recorder.PlainWritten.Length, recorder.PlainRead.Length, 2, 2, 2 * 6, 2 * 2, recorder.HandshakeWritten, recorder.TcpWritten, recorder.TcpRead];
            long[] server =
            [
                Long(own, "bytesIn"), Long(own, "bytesOut"), Long(own, "framesIn"), Long(own, "framesOut"), Long(own, "frameHeaderBytesIn"),
                Long(own, "frameHeaderBytesOut"), Long(ws, "tlsHandshakeBytesIn"), Long(own, "wireBytesIn") + Long(ws, "tlsHandshakeBytesIn"),
                Long(own, "wireBytesOut") + Long(ws, "tlsHandshakeBytesOut"),
            ];
            return (client, server);
        });
    }

    // Compares figures until they agree (bytes in flight land), reporting both sides if they never do.
    private static async Task AgreeAsync(Func<Task<(long[] Client, long[] Server)>> read)
    {
        string seen = "";
        try
        {
            await Eventually.AssertAsync(async () =>
            {
                var (client, server) = await read();
                seen = $"client [{string.Join(", ", client)}], server [{string.Join(", ", server)}]";
                return client.SequenceEqual(server);
            }, "the server's figures equal the client's");
        }
        catch (Xunit.Sdk.XunitException)
        {
            Assert.Fail("The server's figures never equalled the client's: " + seen);
        }
    }

    [Fact]
    public async Task Plain_HTTP_connections_count_the_same_at_both_layers()
    {
        await app.ResetAsync();
        var other = (await app.StatsAsync())["transports"]!["other"]!; // this very read, plain HTTP
        Assert.Equal(Long(other, "bytesIn"), Long(other, "wireBytesIn"));
        Assert.Equal(0, Long(other, "tlsRecordBytesIn"));
        Assert.Equal(0, Long(other, "tlsHandshakeBytesIn"));
        Assert.Equal(Long(other, "requests"), other["protocols"]!["http/1.1"]!.GetValue<long>());
    }
}
