using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using PushCompare.Bench;
using PushCompare.Bench.Cli;
using PushCompare.Bench.Clients;
using PushCompare.Bench.Metrics;
using PushCompare.Bench.Reporting;
using PushCompare.Bench.Transports;

namespace PushCompare.BenchTests;

/// <summary>--protocol and --tls: parsing and refusals, small real runs of every scenario over HTTP/1.1 + TLS and HTTP/2, byte counting at both layers, and the Lubbers matrix.</summary>
public sealed class ProtocolTests
{
    [Theory]
    [InlineData("h1", false, "h1")]
    [InlineData("h1", true, "h1+tls")]
    [InlineData("h2", false, "h2+tls")] // h2 implies TLS, as browsers speak it
    [InlineData("h2", true, "h2+tls")]
    [InlineData("h1,h2", false, "h1 h2+tls")]
    [InlineData("h1,h2", true, "h1+tls h2+tls")]
    [InlineData("all", false, "h1 h1+tls h2+tls")]
    public void Protocol_and_tls_name_the_stacks_to_run(string protocol, bool tls, string expected) =>
        Assert.Equal(expected, string.Join(' ', Commands.ParseStacks(protocol, tls)));

    [Theory]
    [InlineData("push --protocol h3", "--protocol h3 cannot be measured here")]
    [InlineData("push --protocol h2c", "browsers speak HTTP/2 only over TLS")]
    [InlineData("push --protocol spdy", "--protocol 'spdy' is not h1, h2 or all")]
    [InlineData("push --protocol all --tls", "--protocol all already runs h1, h1+tls and h2+tls: drop --tls")]
    [InlineData("push --protocol h2 --poll-client raw", "--poll-client raw speaks HTTP/1.1 only")]
    [InlineData("echo --tls --peer node", "--peer node serves plain ws:// only")]
    [InlineData("push --client node", "--client node applies to the echo scenario only")]
    [InlineData("echo --client node --rate 1000", "--client node runs closed loop only")]
    [InlineData("echo --client node -t longpoll", "--client node speaks WebSocket only")]
    [InlineData("echo --client node --tls", "--client node connects over plain ws://")]
    [InlineData("echo --client node --chromium-headers", "--chromium-headers needs the bench's own client")]
    [InlineData("echo --client node --compression", "--compression needs the bench's own client")]
    [InlineData("push --clients-per-connection 10", "--clients-per-connection applies to HTTP/2 only")]
    [InlineData("push --protocol h2 --clients-per-connection 0", "--clients-per-connection must be greater than 0")]
    [InlineData("push --tls --url http://127.0.0.1:1/", "TLS and HTTP/2 runs need an https:// URL")]
    [InlineData("push --url https://127.0.0.1:1/", "run it with --tls or --protocol h2")]
    public async Task Bad_protocol_combinations_are_refused_before_anything_starts(string options, string message)
    {
        var output = new StringWriter();
        int exit = await BenchApp.RunAsync(options.Split(' '), output);

        Assert.Equal(2, exit);
        Assert.Contains(message, output.ToString());
        Assert.DoesNotContain("PushCompare bench", output.ToString()); // nothing was started
    }

    [Fact]
    public async Task Echo_runs_every_transport_over_tls_and_http2_with_both_layers_counted()
    {
        // A WebSocket (frames) and long polling (requests) over each protocol: SSE and short polling share long polling's
        // HTTP clients and layers, and the Lubbers matrix below runs all four over every protocol.
        string[] transports = ["websocket", "longpoll"];
        var bench = (await BenchRun.StartAsync("echo", "-t", string.Join(',', transports), "--protocol", "h1,h2", "--tls", "-c", "2", "-d", "2", "--warmup", "0.5")).Passed();

        Assert.Equal(4, bench.Runs.Count);
        foreach (var transport in transports)
        {
            foreach (var protocol in new[] { "h1+tls", "h2+tls" })
            {
                var run = Assert.Single(bench.Runs, r => r.Transport == transport && r.Protocol == protocol);
                Assert.True(run.Window.Received > 0);
                Assert.Equal(run.Totals.Sent, run.Totals.Received);
                // Below TLS every record adds its header and tag: the wire is always larger than the HTTP layer.
                Assert.True(run.WindowTraffic.WireUp > run.WindowTraffic.Up && run.WindowTraffic.WireDown > run.WindowTraffic.Down, $"{transport} {protocol}");
            }
        }
        // HTTP/1.1 + TLS keeps the exact RFC 6455 split above TLS; over HTTP/2 the frames ride in DATA frames of the connection.
        var ws = Assert.Single(bench.Runs, r => r.Transport == "websocket" && r.Protocol == "h1+tls");
        Assert.Equal(2.0, ws.WebSocket!.HeaderBytesPerMessageDown);
        Assert.Equal(6.0, ws.WebSocket.HeaderBytesPerMessageUp);
        Assert.Equal(0, ws.WebSocket.UnaccountedBytes);
        Assert.Null(Assert.Single(bench.Runs, r => r.Transport == "websocket" && r.Protocol == "h2+tls").WebSocket);
        // Without a plaintext HTTP/1.1 run there is nothing to divide by: both stacks are listed, with no ratio.
        var cost = bench.Table("Server CPU per message by protocol");
        Assert.Equal(4, cost.Rows.Count);
        Assert.All(cost.Rows, r => Assert.Equal("-", r[7]));
    }

    [Fact]
    public async Task Idle_holds_connections_over_tls_and_http2_against_a_baseline_warmed_over_the_same_protocol()
    {
        // The two that hold something open per client: a WebSocket, and an SSE stream (its session's requests ride beside it).
        var bench = (await BenchRun.StartAsync("idle", "-t", "websocket,sse", "--protocol", "h1,h2", "--tls", "-c", "3", "-d", "1", "--warmup", "0.5")).Passed();

        var measured = bench.Runs.Where(r => r.Skipped is null).ToList();
        Assert.Equal(4, measured.Count);
        foreach (var run in measured)
        {
            Assert.Equal(3, run.ClientsConnected);
            Assert.Equal(0, run.Totals.Received);
            Assert.NotNull(run.Server!.RssPerConnectionBytes);
        }
        // HTTP/2 SSE: the POST, the stream GET, and the DELETE after the window, on the client's one connection.
        var sse = Assert.Single(measured, r => r.Transport == "sse" && r.Protocol == "h2+tls");
        Assert.Equal(3 * 3, sse.Totals.Requests);
        Assert.Equal(3, sse.Sse!.Streams);
        Assert.Equal(0, sse.Sse.UnaccountedBytes);
        var memory = bench.Table("Server memory per idle connection by protocol");
        Assert.Equal(["h1+tls", "h2+tls"], memory.Rows.Select(r => r[2]).Distinct().Order());
    }

    [Fact]
    public async Task Lubbers_matrix_puts_every_protocol_and_transport_beside_2010_at_both_layers()
    {
        var bench = (await BenchRun.StartAsync("lubbers", "-c", "2", "-d", "1.5", "--warmup", "0.5", "--interval", "250", "--protocol", "all",
            "--server-arg", "LongPolling:PollTimeout=00:00:02")).Passed();

        Assert.Equal(12, bench.Runs.Count);
        Assert.All(bench.Runs, r => Assert.Equal(0, r.Totals.Lost));
        var matrix = bench.Table("Overhead per message by protocol");
        Assert.Equal(["clients", "transport", "headers", "source", "HTTP/1.1 HTTP B/msg", "HTTP/1.1 + TLS HTTP B/msg", "HTTP/1.1 + TLS wire B/msg",
            "HTTP/2 + TLS HTTP B/msg", "HTTP/2 + TLS wire B/msg", "2010 B/msg"], matrix.Columns);
        // Plaintext WebSocket over HTTP/1.1: 2 bytes per frame, exactly the 2010 figure; one row per transport, in the
        // catalog's order (the page's), WebSocket first.
        Assert.Equal(["websocket", "longpoll", "shortpoll", "sse"], matrix.Rows.Select(r => r[1]).Distinct());
        var ws = matrix.Rows.First(r => r[1] == "websocket");
        Assert.Equal("2", ws[4]);
        Assert.Equal("2", ws[9]);
        Assert.Equal("871", matrix.Rows.First(r => r[1] == "longpoll")[9]);
        Assert.Equal("-", matrix.Rows.First(r => r[1] == "sse")[9]);
        // Every cell is the client's own count of the run it names.
        var h2Poll = Assert.Single(bench.Runs, r => r.Transport == "longpoll" && r.Protocol == "h2+tls");
        var layers = Assert.Single(h2Poll.Layers);
        Assert.Equal("client", layers.Source);
        Assert.Equal(Format.Bytes(layers.WireOverheadPerMessage), matrix.Rows.First(r => r[1] == "longpoll")[8]);
        Assert.Equal(h2Poll.WindowTraffic.WireUp + h2Poll.WindowTraffic.WireDown - layers.PayloadBytes, layers.WireOverheadPerMessage!.Value * layers.Messages, 6);
        Assert.StartsWith("Choosing today: over HTTP/2 + TLS a long-polled message costs", matrix.Notes[0], StringComparison.Ordinal);
    }

    /// <summary>
    /// One HTTP/1.1 request over TLS to a server that counts its own socket: the client's HTTP layer is exactly the
    /// request and response text, and its wire count equals what the server's socket carried, both ways.
    /// </summary>
    [Fact]
    public async Task Client_counts_the_http_layer_and_the_tls_wire_exactly_for_a_known_exchange()
    {
        using var certificate = SelfSigned();
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var baseUri = new Uri($"https://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/");
        byte[] response = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"u8.ToArray();
        string expectedRequest = $"GET /known HTTP/1.1\r\nHost: {baseUri.Authority}\r\n\r\n";

        var serving = Task.Run(async () =>
        {
            using var socket = await listener.AcceptSocketAsync();
            var wire = new CountingStream(new NetworkStream(socket, ownsSocket: false));
            await using var tls = new SslStream(wire);
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate, ApplicationProtocols = [SslApplicationProtocol.Http11] });
            var request = new List<byte>();
            var buffer = new byte[1024];
            while (!Encoding.ASCII.GetString([.. request]).EndsWith("\r\n\r\n", StringComparison.Ordinal))
            {
                int n = await tls.ReadAsync(buffer);
                if (n == 0) break;
                request.AddRange(buffer.AsSpan(0, n).ToArray());
            }
            await tls.WriteAsync(response);
            await tls.FlushAsync();
            return (Request: Encoding.ASCII.GetString([.. request]), WireRead: wire.BytesRead, WireWritten: wire.BytesWritten);
        });

        var traffic = new TrafficMeter();
        using (var client = new HttpClient(HttpStack.CreateHandler(WireStack.Http11Tls, baseUri, traffic)))
        {
            using var answer = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, new Uri(baseUri, "/known")) { Version = HttpVersion.Version11, VersionPolicy = HttpVersionPolicy.RequestVersionExact });
            Assert.Equal("hello", await answer.Content.ReadAsStringAsync());
        }
        var server = await serving;
        var counted = traffic.Snapshot();

        Assert.Equal(expectedRequest, server.Request);
        Assert.Equal(Encoding.ASCII.GetByteCount(expectedRequest), counted.Up);
        Assert.Equal(response.Length, counted.Down);
        Assert.Equal(1, counted.Connections);
        // The wire: the handshake and the records around both texts, as the server's socket saw them.
        Assert.Equal(server.WireRead, counted.WireUp);
        Assert.Equal(server.WireWritten, counted.WireDown);
        Assert.True(counted.WireDown >= counted.Down + 22 + 100, "the server's handshake flight and one record at least");
    }

    private static X509Certificate2 SelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), password: null);
    }
}
