using System.Net;
using Microsoft.Extensions.Options;
using PushCompare.UnitTests.Infrastructure;

namespace PushCompare.UnitTests.Security;

/// <summary>On real Kestrel with a small connect budget (3, then 1 a second); the tests' own 127.0.0.1 is the peer every request comes from.</summary>
public abstract class ForwardingApp : AppFactory
{
    protected ForwardingApp(params (string Key, string Value)[] trust)
        : base([("Security:ConnectBurst", "3"), ("Security:ConnectsPerSecond", "1"), .. trust])
    {
        StartOnKestrel();
    }

    public HttpClient CreateWireClient() => new() { BaseAddress = KestrelAddress };
}

/// <summary>127.0.0.1 is the one trusted proxy in front of the instance (the default ForwardLimit, 1).</summary>
public sealed class OneTrustedProxyApp() : ForwardingApp(("Security:TrustedProxies:0", "127.0.0.1"));

/// <summary>Two proxies in a row: 127.0.0.1, and in front of it one in 192.0.2.0/24; ForwardLimit 2.</summary>
public sealed class TwoTrustedProxiesApp() : ForwardingApp(
    ("Security:TrustedProxies:0", "127.0.0.1"), ("Security:TrustedProxies:1", "192.0.2.0/24"), ("Security:ForwardLimit", "2"));

/// <summary>
/// The client address behind a trusted proxy (Security:TrustedProxies, X-Forwarded-For and -Proto): a trusted peer's
/// header names the client for the connect limit and the origin check; anyone else's header is ignored, so a browser
/// cannot spoof its way out of its rate limit. Each test uses addresses of its own, so the apps' buckets never meet.
/// </summary>
public sealed class TrustedProxyTests(OneTrustedProxyApp one, TwoTrustedProxiesApp two) : IClassFixture<OneTrustedProxyApp>, IClassFixture<TwoTrustedProxiesApp>
{
    // Enough attempts that a limit keyed on the wrong address (a fresh bucket of 3 per attempt) could never refuse one,
    // and a refill of 1 a second cannot hide a right one.
    private const int Attempts = 20;

    [Fact]
    public async Task From_a_trusted_proxy_two_forwarded_clients_get_separate_buckets()
    {
        using var http = one.CreateWireClient();

        int refusedAt = await AttemptsUntilRefusedAsync(http, _ => "203.0.113.1");

        Assert.True(refusedAt > 3, $"client 203.0.113.1 was refused within its burst of 3 (attempt {refusedAt})");
        Assert.Equal(HttpStatusCode.Created, await OpenAsync(http, "203.0.113.2")); // another client behind the same proxy
        Assert.Equal(HttpStatusCode.Created, await OpenAsync(http, null)); // and the proxy itself (127.0.0.1) is not the one limited
    }

    [Theory]
    [InlineData(false)] // no Security:TrustedProxies: the shipped default
    [InlineData(true)] // proxies are trusted, but 127.0.0.1 is not one of them
    public async Task From_an_untrusted_peer_a_spoofed_X_Forwarded_For_is_ignored_and_the_peer_is_limited_as_itself(bool otherProxiesTrusted)
    {
        using var app = new UntrustedPeerApp(otherProxiesTrusted);
        using var http = app.CreateWireClient();

        // A new invented address each time: if the header counted, every attempt would have a fresh bucket.
        int refusedAt = await AttemptsUntilRefusedAsync(http, attempt => $"198.51.100.{attempt}");

        Assert.True(refusedAt > 3, $"refused within the burst of 3 (attempt {refusedAt})");
    }

    [Fact]
    public async Task A_chain_longer_than_the_forward_limit_takes_the_hop_the_trusted_proxy_added()
    {
        using var http = one.CreateWireClient();

        // "anything-the-client-wrote, what-the-proxy-saw": with ForwardLimit 1 only the rightmost entry is believed.
        int refusedAt = await AttemptsUntilRefusedAsync(http, attempt => $"198.51.100.{attempt}, 203.0.113.5");

        Assert.True(refusedAt > 3, $"refused within the burst of 3 (attempt {refusedAt})");
        await ProblemAssert.IsProblemAsync(await OpenResponseAsync(http, "203.0.113.5"), HttpStatusCode.TooManyRequests); // the same bucket
        Assert.Equal(HttpStatusCode.Created, await OpenAsync(http, "198.51.100.1")); // the spoofed entries were never charged
    }

    [Fact]
    public async Task With_a_forward_limit_of_two_the_client_is_found_through_two_trusted_proxies_and_an_untrusted_hop_stops_the_walk()
    {
        using var http = two.CreateWireClient();

        // client, then the outer proxy (192.0.2.10, trusted); the peer 127.0.0.1 is the inner one: the client is 203.0.113.20.
        int refusedAt = await AttemptsUntilRefusedAsync(http, _ => "203.0.113.20, 192.0.2.10");
        Assert.True(refusedAt > 3, $"refused within the burst of 3 (attempt {refusedAt})");
        Assert.Equal(HttpStatusCode.Created, await OpenAsync(http, "203.0.113.21, 192.0.2.10")); // another client via the same two proxies
        // Three entries, limit 2: the leftmost (which the client wrote) is never reached, so each attempt is 203.0.113.30.
        Assert.True(await AttemptsUntilRefusedAsync(http, attempt => $"198.51.100.{attempt}, 203.0.113.30, 192.0.2.10") > 3);
        // 198.51.100.77 is not a trusted proxy: what it claims to have seen is not believed, it is the client.
        Assert.True(await AttemptsUntilRefusedAsync(http, attempt => $"203.0.113.{100 + attempt}, 198.51.100.77") > 3);
    }

    [Fact]
    public async Task A_trusted_proxys_X_Forwarded_Proto_makes_its_https_origin_same_origin_and_an_untrusted_peers_does_not()
    {
        using var untrusted = new UntrustedPeerApp(otherProxiesTrusted: true);
        using var viaProxy = one.CreateWireClient();
        using var direct = untrusted.CreateWireClient();

        // A TLS-terminating balancer: the browser was on https://pushcompare.example, the instance is reached over http.
        Assert.Equal(HttpStatusCode.Created, (await OpenBehindTlsAsync(viaProxy)).StatusCode);
        var refused = await OpenBehindTlsAsync(direct);

        var problem = await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.Forbidden);
        Assert.Contains("https://pushcompare.example", ProblemAssert.Detail(problem));
    }

    [Theory]
    [InlineData("10.0.0.300", "is not an IP address or network")]
    [InlineData("10", "is not an IP address or network")] // .NET would read it as 0.0.0.10
    [InlineData("10.0.0.1/8", "has host bits set: write 10.0.0.0/8 for the network, or 10.0.0.1 for the one address")]
    [InlineData("gateway.internal", "is not an IP address or network")]
    [InlineData("0.0.0.0/0", "trusts every address")]
    [InlineData("::/0", "trusts every address")]
    public void A_bad_TrustedProxies_entry_refuses_start_up_naming_it(string entry, string message)
    {
        using var app = new StartupFailureFactory(("Security:TrustedProxies:0", "127.0.0.1"), ("Security:TrustedProxies:1", entry));

        var error = Assert.Throws<OptionsValidationException>(() => app.Server);

        Assert.Equal("SecurityOptions", error.OptionsType.Name);
        string failure = Assert.Single(error.Failures);
        Assert.Contains($"TrustedProxies: '{entry}' {message}", failure);
    }

    [Fact]
    public void A_forward_limit_of_zero_refuses_start_up_naming_it()
    {
        using var app = new StartupFailureFactory(("Security:TrustedProxies:0", "127.0.0.1"), ("Security:ForwardLimit", "0"));

        var error = Assert.Throws<OptionsValidationException>(() => app.Server);

        Assert.Contains("SecurityOptions.ForwardLimit", Assert.Single(error.Failures));
    }

    private sealed class UntrustedPeerApp(bool otherProxiesTrusted)
        : ForwardingApp(otherProxiesTrusted ? [("Security:TrustedProxies:0", "10.0.0.0/8"), ("Security:TrustedProxies:1", "::1")] : []);

    // Opens sessions as the given client until one is refused with the 429; the attempt that was refused.
    private static async Task<int> AttemptsUntilRefusedAsync(HttpClient http, Func<int, string?> forwardedFor)
    {
        for (int attempt = 1; attempt <= Attempts; attempt++)
        {
            using var response = await OpenResponseAsync(http, forwardedFor(attempt));
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                await ProblemAssert.IsProblemAsync(response, HttpStatusCode.TooManyRequests);
                Assert.NotNull(response.Headers.RetryAfter);
                return attempt;
            }
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }
        Assert.Fail($"{Attempts} sessions were opened and none was refused: the limit did not see one client.");
        return 0;
    }

    private static async Task<HttpStatusCode> OpenAsync(HttpClient http, string? forwardedFor)
    {
        using var response = await OpenResponseAsync(http, forwardedFor);
        return response.StatusCode;
    }

    private static Task<HttpResponseMessage> OpenResponseAsync(HttpClient http, string? forwardedFor)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/poll");
        if (forwardedFor is not null) request.Headers.TryAddWithoutValidation("X-Forwarded-For", forwardedFor);
        return http.SendAsync(request);
    }

    private static Task<HttpResponseMessage> OpenBehindTlsAsync(HttpClient http)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/poll");
        request.Headers.Host = "pushcompare.example";
        request.Headers.TryAddWithoutValidation("Origin", "https://pushcompare.example");
        request.Headers.TryAddWithoutValidation("X-Forwarded-For", "203.0.113.200");
        request.Headers.TryAddWithoutValidation("X-Forwarded-Proto", "https");
        return http.SendAsync(request);
    }
}
