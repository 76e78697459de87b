using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using PushCompare.Metering;
using PushCompare.UnitTests.Infrastructure;

namespace PushCompare.UnitTests.Metering;

/// <summary>
/// The instance's side of the gateway handshake (docs/protocol.md, "Behind the gateway"): a request that carries
/// <c>PushCompare-Gateway</c> is answered with <c>PushCompare-Attribution</c> naming the transport that claimed it and
/// its session's key; a request without it never is. And the header's grammar, as the gateway reads it.
/// </summary>
public sealed class GatewayAttributionTests : IClassFixture<KestrelApp>
{
    private readonly KestrelApp _app;
    private readonly HttpClient _http;

    public GatewayAttributionTests(KestrelApp app)
    {
        _app = app;
        _http = new HttpClient { BaseAddress = app.KestrelAddress };
    }

    [Fact]
    public async Task A_polling_session_is_declared_only_to_a_request_that_asks()
    {
        var direct = await _http.OpenSessionAsync();
        Assert.False(direct.Response.Headers.Contains(GatewayAttribution.ResponseHeader));
        Assert.False((await _http.SendAsync(direct.Id, "direct")).Headers.Contains(GatewayAttribution.ResponseHeader));

        var open = await AskingAsync(HttpMethod.Post, "/poll");
        var body = (await open.Content.ReadFromJsonAsync<JsonNode>())!;
        string id = body["id"]!.GetValue<string>(), key = body["statsKey"]!.GetValue<string>();
        Assert.Equal($"longpoll; session={key}", Declared(open));
        Assert.DoesNotContain(id, Declared(open)); // the stats key, never the id (a credential)

        var send = await AskingAsync(HttpMethod.Post, $"/poll/{id}", new StringContent("hi", Encoding.UTF8, "text/plain"));
        Assert.Equal($"longpoll; session={key}", Declared(send));
        var poll = await AskingAsync(HttpMethod.Get, $"/poll/{id}?cursor=0");
        Assert.Equal($"longpoll; session={key}", Declared(poll));

        var shortPoll = await AskingAsync(HttpMethod.Post, "/poll?wait=0");
        string shortKey = (await shortPoll.Content.ReadFromJsonAsync<JsonNode>())!["statsKey"]!.GetValue<string>();
        Assert.Equal($"shortpoll; session={shortKey}", Declared(shortPoll));
    }

    [Fact]
    public async Task Requests_no_transport_claims_are_not_declared_even_when_asked()
    {
        Assert.Null(Declared(await AskingAsync(HttpMethod.Get, "/")));
        Assert.Null(Declared(await AskingAsync(HttpMethod.Get, "/api/stats")));
        Assert.Null(Declared(await AskingAsync(HttpMethod.Get, "/poll/no-such-session?cursor=0"))); // a 404 counts as other
    }

    [Fact]
    public async Task A_plain_GET_on_the_WebSocket_path_is_declared_as_WebSocket_traffic_without_a_session()
    {
        var refused = await AskingAsync(HttpMethod.Get, "/ws");
        Assert.Equal(400, (int)refused.StatusCode);
        Assert.Equal("websocket; keying=client-chosen; framing=rfc6455", Declared(refused));
    }

    [Fact]
    public async Task A_WebSocket_upgrade_declares_its_client_key_in_the_101_only_when_asked()
    {
        string key = "gw-" + Guid.NewGuid().ToString("N");
        var (asked, head) = await RawConnection.OpenWebSocketWithHeadAsync(_app.KestrelAddress, $"/ws?client={key}",
            extraHeaders: $"{GatewayAttribution.RequestHeader}: {GatewayAttribution.RequestValue}\r\n");
        await using (asked)
        {
            Assert.Contains($"\r\n{GatewayAttribution.ResponseHeader}: websocket; keying=client-chosen; framing=rfc6455; session={key}\r\n", head);
        }

        var (direct, directHead) = await RawConnection.OpenWebSocketWithHeadAsync(_app.KestrelAddress, $"/ws?client={key}-direct");
        await using (direct)
        {
            Assert.DoesNotContain(GatewayAttribution.ResponseHeader, directHead, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task A_server_sent_events_stream_declares_itself_in_its_head()
    {
        var open = await AskingAsync(HttpMethod.Post, "/sse");
        string key = (await open.Content.ReadFromJsonAsync<JsonNode>())!["statsKey"]!.GetValue<string>();
        Assert.Equal($"sse; session={key}", Declared(open));
        using var stream = new HttpRequestMessage(HttpMethod.Get, open.Headers.Location);
        stream.Headers.Add(GatewayAttribution.RequestHeader, GatewayAttribution.RequestValue);
        using var response = await _http.SendAsync(stream, HttpCompletionOption.ResponseHeadersRead); // the head comes first
        Assert.Equal($"sse; session={key}", Declared(response));
    }

    [Theory]
    [InlineData("longpoll", "longpoll", SessionKeying.ServerIssued, WireFraming.None, null)]
    [InlineData("longpoll; session=3oQqkV0l2cQ3b3VnF1a0sA", "longpoll", SessionKeying.ServerIssued, WireFraming.None, "3oQqkV0l2cQ3b3VnF1a0sA")]
    [InlineData("websocket; keying=client-chosen; framing=rfc6455; session=page-1", "websocket", SessionKeying.ClientChosen, WireFraming.Rfc6455, "page-1")]
    [InlineData(" sse ;session=k ; later-version=1 ", "sse", SessionKeying.ServerIssued, WireFraming.None, "k")] // spaces; an unknown parameter is skipped
    public void The_gateway_reads_what_the_instance_wrote(string value, string transport, SessionKeying keying, WireFraming framing, string? key)
    {
        Assert.True(GatewayAttribution.TryParse(value, out var declared));
        Assert.Equal(new Declaration(transport, keying, framing, key), declared);
        Assert.True(GatewayAttribution.TryParse(GatewayAttribution.Format(declared), out var again));
        Assert.Equal(declared, again);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("; session=k")]                // no transport
    [InlineData("long poll")]                  // not a token
    [InlineData("longpoll; session=")]         // an empty key
    [InlineData("longpoll; session=a b")]
    [InlineData("longpoll; session=k\u00e9y")] // not ASCII
    [InlineData("longpoll; session")]          // no value
    [InlineData("longpoll; keying=sometimes")]
    [InlineData("longpoll; framing=h2")]
    public void A_malformed_declaration_is_refused(string? value)
    {
        Assert.False(GatewayAttribution.TryParse(value, out _));
    }

    [Fact]
    public void Transport_ids_and_keys_longer_than_64_characters_are_refused()
    {
        Assert.True(GatewayAttribution.TryParse("longpoll; session=" + new string('k', 64), out _));
        Assert.False(GatewayAttribution.TryParse("longpoll; session=" + new string('k', 65), out _));
        Assert.False(GatewayAttribution.TryParse(new string('t', 65), out _));
    }

    private async Task<HttpResponseMessage> AskingAsync(HttpMethod method, string path, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.Add(GatewayAttribution.RequestHeader, GatewayAttribution.RequestValue);
        return await _http.SendAsync(request);
    }

    private static string? Declared(HttpResponseMessage response) =>
        response.Headers.TryGetValues(GatewayAttribution.ResponseHeader, out var values) ? Assert.Single(values) : null;
}
