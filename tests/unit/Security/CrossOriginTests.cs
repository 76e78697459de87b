using System.Net;
using System.Net.Security;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PushCompare.UnitTests.Https;
using PushCompare.UnitTests.Infrastructure;
using PushCompare.Web.Security;

namespace PushCompare.UnitTests.Security;

/// <summary>
/// The app's two origins (plain HTTP and HTTPS, port 0 here) may call each other — CORS for fetch and
/// EventSource, the Origin check for WebSockets — and only each other: a foreign origin is refused over HTTPS exactly as
/// over HTTP, and no answer ever says <c>*</c>.
/// </summary>
public sealed class CrossOriginTests(HttpsApp app) : IClassFixture<HttpsApp>
{
    private const string Foreign = "https://evil.example";

    private ICollection<string> Bound => app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
    private int Port(string scheme) => new Uri(Bound.Single(a => a.StartsWith(scheme + ":", StringComparison.Ordinal))).Port;
    private string PlainOrigin(string host = "127.0.0.1") => $"http://{host}:{Port("http")}";
    private string TlsOrigin(string host = "127.0.0.1") => $"https://{host}:{Port("https")}";

    private HttpClient Plain() => new() { BaseAddress = new Uri(PlainOrigin()) };
    private HttpClient Tls() => app.CreateTlsClient(HttpVersion.Version20);

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, HttpMethod method, string path, string? origin,
        params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(method, path) { Version = http.DefaultRequestVersion, VersionPolicy = http.DefaultVersionPolicy };
        if (origin is not null) request.Headers.Add("Origin", origin);
        foreach (var (name, value) in headers) request.Headers.Add(name, value);
        return await http.SendAsync(request);
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;

    [Fact]
    public void The_own_origins_are_the_bound_addresses_under_each_loopback_name()
    {
        Assert.Equal(["http://127.0.0.1:5080", "http://[::1]:5080", "http://localhost:5080", "https://127.0.0.1:5081", "https://[::1]:5081", "https://localhost:5081"],
            AppOrigins.FromAddresses(["http://localhost:5080", "https://localhost:5081"]).Order(StringComparer.Ordinal));
        Assert.Equal(["http://127.0.0.1:41234", "http://localhost:41234"], AppOrigins.FromAddresses(["http://127.0.0.1:41234"]).Order(StringComparer.Ordinal));
        Assert.Equal(["https://[::1]:8443", "https://localhost:8443"], AppOrigins.FromAddresses(["https://[::1]:8443"]).Order(StringComparer.Ordinal));
        // A wildcard binding: the loopback names (others it answers to are unknown here); default ports are left out, as browsers do.
        Assert.Equal(["http://127.0.0.1", "http://[::1]", "http://localhost"], AppOrigins.FromAddresses(["http://[::]:80"]).Order(StringComparer.Ordinal));
        Assert.Equal(["http://127.0.0.1:5080", "http://[::1]:5080", "http://localhost:5080"], AppOrigins.FromAddresses(["http://*:5080"]).Order(StringComparer.Ordinal));
        Assert.Equal(["https://push.example"], AppOrigins.FromAddresses(["https://push.example:443"]));
    }

    [Fact]
    public void On_port_0_the_own_origins_carry_the_ports_Kestrel_bound()
    {
        var own = app.Services.GetRequiredService<AppOrigins>().Own;

        Assert.Equal([PlainOrigin(), PlainOrigin("localhost"), TlsOrigin(), TlsOrigin("localhost")], own.Order(StringComparer.Ordinal));
        Assert.DoesNotContain(own, o => o.EndsWith(":0", StringComparison.Ordinal) || o.Contains('*', StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("/poll")]
    [InlineData("/sse")]
    [InlineData("/api/stats/reset")]
    public async Task A_foreign_origin_gets_the_same_403_over_HTTPS_as_over_HTTP_and_no_CORS_headers(string path)
    {
        using var plain = Plain();
        using var tls = Tls();
        using var overHttp = await SendAsync(plain, HttpMethod.Post, path, Foreign);
        using var overHttps = await SendAsync(tls, HttpMethod.Post, path, Foreign);

        var refusedHttp = await ProblemAssert.IsProblemAsync(overHttp, HttpStatusCode.Forbidden);
        var refusedHttps = await ProblemAssert.IsProblemAsync(overHttps, HttpStatusCode.Forbidden);
        Assert.Equal(HttpVersion.Version20, overHttps.Version);
        Assert.Equal(refusedHttp.GetRawText(), refusedHttps.GetRawText());
        Assert.Null(Header(overHttp, "Access-Control-Allow-Origin"));
        Assert.Null(Header(overHttps, "Access-Control-Allow-Origin"));
    }

    [Theory]
    [InlineData("ws", "1.1")]
    [InlineData("wss", "1.1")]
    [InlineData("wss", "2.0")] // RFC 8441: the refusal comes on the CONNECT stream
    public async Task A_WebSocket_from_a_foreign_origin_gets_403_over_HTTPS_as_over_HTTP(string scheme, string version)
    {
        using var socket = NewSocket(version, Foreign);

        var refused = await Assert.ThrowsAsync<WebSocketException>(() => ConnectAsync(socket, scheme));

        Assert.Equal(HttpStatusCode.Forbidden, socket.HttpStatusCode);
        Assert.Contains("403", refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ws", "1.1")]
    [InlineData("wss", "1.1")]
    [InlineData("wss", "2.0")]
    public async Task A_WebSocket_from_the_apps_other_origin_is_accepted(string scheme, string version)
    {
        // A page on https opening ws://, a page on http opening wss:// (the comparison's direction), under either name.
        string other = scheme == "ws" ? TlsOrigin("localhost") : PlainOrigin();
        using var socket = NewSocket(version, other);

        await ConnectAsync(socket, scheme);

        Assert.Equal("Received: cross-origin", await socket.EchoTextAsync("cross-origin"));
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
    }

    [Fact]
    public async Task The_apps_other_origin_gets_CORS_naming_it_exactly_without_credentials()
    {
        using var tls = Tls();
        using var opened = await SendAsync(tls, HttpMethod.Post, "/poll", PlainOrigin());

        Assert.Equal(HttpStatusCode.Created, opened.StatusCode);
        Assert.Equal(PlainOrigin(), Header(opened, "Access-Control-Allow-Origin"));
        Assert.Null(Header(opened, "Access-Control-Allow-Credentials"));
        Assert.Equal("Location,Retry-After", Header(opened, "Access-Control-Expose-Headers")); // the page reads both
        Assert.Contains("Origin", Header(opened, "Vary"), StringComparison.Ordinal);

        using var plain = Plain();
        using var stats = await SendAsync(plain, HttpMethod.Get, "/api/stats", TlsOrigin("localhost"));
        Assert.Equal(HttpStatusCode.OK, stats.StatusCode);
        Assert.Equal(TlsOrigin("localhost"), Header(stats, "Access-Control-Allow-Origin"));
    }

    [Theory]
    [InlineData("/poll/some-id", "DELETE", "")]
    [InlineData("/sse/some-id", "GET", "last-event-id")] // an EventSource reconnecting
    [InlineData("/poll/some-id", "POST", "content-type")]
    [InlineData("/api/origins", "GET", "")]
    public async Task A_preflight_from_the_apps_other_origin_is_answered_and_a_foreign_ones_is_refused(string path, string method, string headers)
    {
        using var plain = Plain();
        (string, string)[] asks = headers == "" ? [("Access-Control-Request-Method", method)]
            : [("Access-Control-Request-Method", method), ("Access-Control-Request-Headers", headers)];

        using var own = await SendAsync(plain, HttpMethod.Options, path, TlsOrigin(), asks);
        Assert.Equal(HttpStatusCode.NoContent, own.StatusCode);
        Assert.Equal(TlsOrigin(), Header(own, "Access-Control-Allow-Origin"));
        Assert.Equal("GET,POST,DELETE", Header(own, "Access-Control-Allow-Methods"));
        Assert.Equal("Content-Type,Last-Event-ID", Header(own, "Access-Control-Allow-Headers"));
        Assert.Null(Header(own, "Access-Control-Allow-Credentials"));

        using var foreign = await SendAsync(plain, HttpMethod.Options, path, Foreign, asks);
        await ProblemAssert.IsProblemAsync(foreign, HttpStatusCode.Forbidden);
        Assert.Null(Header(foreign, "Access-Control-Allow-Origin"));
    }

    [Theory]
    [InlineData("null")] // sandboxed frames and file:// pages
    [InlineData("http://127.0.0.1:1")] // loopback, but not a port this app bound
    [InlineData("https://localhost")]
    public async Task Look_alikes_of_the_own_origins_are_refused(string origin)
    {
        using var plain = Plain();
        using var refused = await SendAsync(plain, HttpMethod.Post, "/poll", origin);

        await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.Forbidden);
        Assert.Null(Header(refused, "Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task A_same_origin_request_carries_no_CORS_headers_so_its_bytes_are_unchanged()
    {
        using var plain = Plain();
        using var opened = await SendAsync(plain, HttpMethod.Post, "/poll", PlainOrigin());

        Assert.Equal(HttpStatusCode.Created, opened.StatusCode);
        Assert.Null(Header(opened, "Access-Control-Allow-Origin"));
        Assert.Null(Header(opened, "Vary"));
    }

    [Fact]
    public async Task Origins_answers_the_own_origins_and_the_protocol_the_request_came_over()
    {
        using var tls = Tls();
        var answer = await System.Net.Http.Json.HttpClientJsonExtensions.GetFromJsonAsync<OriginsAnswer>(tls, "/api/origins");

        Assert.NotNull(answer);
        Assert.Equal("HTTP/2", answer.Protocol);
        Assert.True(answer.Tls);
        Assert.Contains(PlainOrigin(), answer.Origins);
        Assert.Contains(TlsOrigin(), answer.Origins);
    }

    private static ClientWebSocket NewSocket(string version, string origin)
    {
        var socket = new ClientWebSocket();
        socket.Options.HttpVersion = Version.Parse(version);
        socket.Options.HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.SetRequestHeader("Origin", origin);
        return socket;
    }

    private async Task ConnectAsync(ClientWebSocket socket, string scheme)
    {
        using var invoker = new HttpMessageInvoker(new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, _, _, _) => true },
        });
        var uri = new UriBuilder(scheme == "ws" ? PlainOrigin() : TlsOrigin()) { Scheme = scheme, Path = "/ws" }.Uri;
        await socket.ConnectAsync(uri, invoker, CancellationToken.None);
    }
}

/// <summary>Security:AllowedOrigins: an operator's extra origins get CORS like the own ones; a wildcard stops start-up.</summary>
public sealed class AllowedOriginsTests(OriginApp app) : IClassFixture<OriginApp>
{
    [Fact]
    public async Task An_allow_listed_origin_gets_CORS_naming_it()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/poll");
        request.Headers.Add("Origin", "https://allowed.example");
        using var opened = await app.CreateClient().SendAsync(request);

        Assert.Equal(HttpStatusCode.Created, opened.StatusCode);
        Assert.Equal("https://allowed.example", string.Join(",", opened.Headers.GetValues("Access-Control-Allow-Origin")));
    }

    [Theory]
    [InlineData("*")]
    [InlineData("https://*.example")]
    [InlineData("https://allowed.example/")]
    [InlineData("null")]
    [InlineData("ftp://allowed.example")]
    public void An_allowed_origin_that_is_not_one_origin_fails_start_up(string entry)
    {
        using var factory = new StartupFailureFactory(("Security:AllowedOrigins:0", entry));

        var error = Assert.Throws<OptionsValidationException>(() => factory.Server);

        Assert.Contains($"'{entry}' is not an origin", Assert.Single(error.Failures), StringComparison.Ordinal);
    }
}
