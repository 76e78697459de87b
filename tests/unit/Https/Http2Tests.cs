using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using PushCompare.UnitTests.Infrastructure;
using PushCompare.Web.Http;

namespace PushCompare.UnitTests.Https;

/// <summary>The app on plain HTTP and HTTPS (both on free loopback ports) with its self-signed certificate in a temp folder.</summary>
public sealed class HttpsApp : AppFactory
{
    private static readonly string Folder = Directory.CreateTempSubdirectory("pushcompare-https-").FullName;

    public HttpsApp() : base((HttpsCertificates.PathSetting, Path.Combine(Folder, "localhost.pfx")), ("ServerLimits:TlsHandshakeTimeout", "00:00:03"))
    {
        UseKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0);
            k.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps());
        });
        StartServer();
    }

    public Uri HttpsAddress => new(Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
        .Single(a => a.StartsWith("https:", StringComparison.Ordinal)).Replace("localhost", "127.0.0.1", StringComparison.Ordinal));

    /// <summary>A client that speaks exactly <paramref name="version"/> over TLS and accepts the self-signed certificate.</summary>
    public HttpClient CreateTlsClient(Version version) => new(new SocketsHttpHandler
    {
        SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, _, _, _) => true },
    })
    {
        BaseAddress = HttpsAddress,
        DefaultRequestVersion = version,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
    };
}

/// <summary>
/// On the HTTPS endpoint every transport works over HTTP/2 (ALPN) as over HTTP/1.1 — the WebSocket as an
/// RFC 8441 extended CONNECT stream — cross-origin is refused the same way, and broken TLS clients are dropped alone.
/// </summary>
public sealed class Http2Tests(HttpsApp app) : IClassFixture<HttpsApp>
{
    [Fact]
    public async Task The_page_polling_and_SSE_answer_over_HTTP2_with_TLS()
    {
        using var http = app.CreateTlsClient(HttpVersion.Version20);
        using var page = await http.GetAsync("/");
        Assert.Equal(HttpVersion.Version20, page.Version);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);

        var poll = await http.OpenSessionAsync();
        await http.SendAcceptedAsync(poll.Id, "over h2");
        Assert.Equal(["Received: over h2"], (await http.PollBatchAsync(poll.Id, 0)).Messages);

        var sse = await http.OpenStreamSessionAsync();
        await using var stream = await EventStream.OpenAsync(http, sse.Id);
        Assert.Equal(HttpVersion.Version20, stream.Response.Version);
        await http.SendStreamAcceptedAsync(sse.Id, "streamed over h2", "?seq=1");
        Assert.Equal(new ServerEvent("message", "1", "Received: streamed over h2", null), await stream.NextMessageAsync());
    }

    [Fact]
    public async Task A_WebSocket_over_HTTP2_is_an_extended_CONNECT_stream_and_echoes()
    {
        using var invoker = new HttpMessageInvoker(new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, _, _, _) => true },
        });
        using var socket = new ClientWebSocket();
        socket.Options.HttpVersion = HttpVersion.Version20; // RFC 8441: refused unless the server speaks it
        socket.Options.HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        socket.Options.CollectHttpResponseDetails = true;
        var uri = new UriBuilder(app.HttpsAddress) { Scheme = "wss", Path = "/ws" }.Uri;

        await socket.ConnectAsync(uri, invoker, CancellationToken.None);

        Assert.Equal(HttpStatusCode.OK, socket.HttpStatusCode); // a CONNECT stream answers 200, not 101
        Assert.Equal("Received: one stream", await socket.EchoTextAsync("one stream"));
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, socket.CloseStatus);
    }

    [Fact]
    public async Task HTTP1_over_TLS_still_works_and_plain_HTTP_is_unchanged()
    {
        using var tls11 = app.CreateTlsClient(HttpVersion.Version11);
        using var page = await tls11.GetAsync("/");
        Assert.Equal(HttpVersion.Version11, page.Version);
        var session = await tls11.OpenSessionAsync("?wait=0");
        await tls11.SendAcceptedAsync(session.Id, "tls 1.1");

        using var plain = new HttpClient { BaseAddress = new UriBuilder(app.HttpsAddress) { Scheme = "http", Port = PlainPort() }.Uri };
        Assert.Equal(HttpStatusCode.OK, (await plain.GetAsync("/")).StatusCode);
    }

    [Theory]
    [InlineData("/poll")]
    [InlineData("/sse")]
    public async Task A_foreign_origin_is_refused_over_HTTPS_exactly_as_over_HTTP(string path)
    {
        using var http = app.CreateTlsClient(HttpVersion.Version20);
        using var request = new HttpRequestMessage(HttpMethod.Post, path);
        request.Headers.Add("Origin", "https://evil.example");
        await ProblemAssert.IsProblemAsync(await http.SendAsync(request), HttpStatusCode.Forbidden);

        using var own = new HttpRequestMessage(HttpMethod.Post, path);
        own.Headers.Add("Origin", $"https://{app.HttpsAddress.Authority}");
        Assert.Equal(HttpStatusCode.Created, (await http.SendAsync(own)).StatusCode);
    }

    [Fact]
    public async Task A_handshake_that_never_finishes_is_dropped_and_garbage_before_the_ClientHello_is_refused_while_others_are_served()
    {
        await using var silent = await RawConnection.OpenAsync(app.HttpsAddress); // connects, never says hello
        await using var garbage = await RawConnection.OpenAsync(app.HttpsAddress);
        await garbage.WriteAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n"); // plain HTTP where a TLS ClientHello belongs

        using var http = app.CreateTlsClient(HttpVersion.Version20);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/")).StatusCode); // the rest are served meanwhile

        Assert.True(await garbage.IsClosedByServerAsync(), "the server should close a connection that did not start with TLS");
        Assert.True(await silent.IsClosedByServerAsync(), "the handshake timeout (3 s here) should drop a silent client");
    }

    private int PlainPort() => new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
        .Single(a => a.StartsWith("http:", StringComparison.Ordinal))).Port;
}
