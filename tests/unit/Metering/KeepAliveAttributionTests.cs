using PushCompare.UnitTests.Infrastructure;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace PushCompare.UnitTests.Metering;

/// <summary>Requests of different transports on ONE keep-alive connection: each transport's bytes equal exactly what the client moved for it.</summary>
public sealed class KeepAliveAttributionTests : MeteredWireTest
{
    [Fact]
    public async Task Each_transport_gets_exactly_the_bytes_of_its_own_requests_on_a_shared_connection()
    {
        var longPoll = new Tally();
        var session = new Tally();
        var other = new Tally();

        // POST /poll opens a session: its id is only known from the response, yet its bytes belong to it.
        var opened = await Measure(() => _client.PostAsync("/poll", null), longPoll, session);
        Assert.Equal(HttpStatusCode.Created, opened.StatusCode);
        var body = (await opened.Content.ReadFromJsonAsync<JsonNode>())!;
        string id = body["id"]!.GetValue<string>(), key = body["statsKey"]!.GetValue<string>();

        var sent = await Measure(() => _client.PostAsync($"/poll/{id}", Text("hello")), longPoll, session);
        Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);

        // A 415 answered before its body was read: Kestrel drains the body after the response, still this request's bytes.
        var refused = await Measure(() => _client.PostAsync($"/poll/{id}", new StringContent("unread body", Encoding.UTF8, "application/json")),
            longPoll, session);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, refused.StatusCode);

        // A request of the page on the same connection stays out of the polling figures.
        var page = await Measure(() => _client.GetAsync("/api/stats"), other);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);

        var polled = await Measure(() => _client.GetAsync($"/poll/{id}?cursor=0"), longPoll, session);
        Assert.Equal(HttpStatusCode.OK, polled.StatusCode);
        var batch = (await polled.Content.ReadFromJsonAsync<JsonNode>())!;
        Assert.Equal("Received: hello", batch["messages"]![0]!.GetValue<string>());

        var closed = await Measure(() => _client.DeleteAsync($"/poll/{id}"), longPoll, session);
        Assert.Equal(HttpStatusCode.NoContent, closed.StatusCode);

        Assert.Equal(1, _wire.Count);
        var stats = await _app.StatsAsync();
        var lp = stats["transports"]!["longpoll"]!;
        Assert.Equal(longPoll.Written, Long(lp, "bytesIn"));
        Assert.Equal(longPoll.Read, Long(lp, "bytesOut"));
        Assert.Equal(5, Long(lp, "requests"));
        Assert.Equal(1, Long(lp, "messagesIn"));
        Assert.Equal(1, Long(lp, "messagesOut"));
        Assert.Equal(5, Long(lp, "payloadBytesIn"));
        Assert.Equal(15, Long(lp, "payloadBytesOut"));
        Assert.Equal(1, Long(lp["latency"]!, "count"));
        Assert.Equal((double)(longPoll.Written + longPoll.Read), lp["bytesPerMessage"]!.GetValue<double>());

        // "other" also holds the test's own stats reads (their own connection), so the page's request is a lower bound.
        var ot = stats["transports"]!["other"]!;
        Assert.True(Long(ot, "bytesIn") >= other.Written);
        Assert.True(Long(ot, "bytesOut") >= other.Read);
        Assert.Equal(0, Long(stats["transports"]!["websocket"]!, "bytesIn"));
        Assert.Equal(0, Long(stats["transports"]!["shortpoll"]!, "bytesIn"));

        var own = (await _app.SessionAsync(key))!;
        Assert.Equal("longpoll", own["transport"]!.GetValue<string>());
        Assert.False(own["open"]!.GetValue<bool>());
        Assert.Equal(5, Long(own, "requests"));
        Assert.Equal(session.Written, Long(own, "bytesIn"));
        Assert.Equal(session.Read, Long(own, "bytesOut"));
        Assert.Equal(1, Long(own, "messagesOut"));
        Assert.Equal(1, Long(own["latency"]!, "count"));
    }

    [Fact]
    public async Task A_session_opened_with_wait_0_is_short_polling_without_repeating_it()
    {
        var (id, key, _, _) = await _client.OpenSessionAsync("?wait=0");
        Assert.Equal(HttpStatusCode.Accepted, (await _client.PostAsync($"/poll/{id}", Text("hi"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync($"/poll/{id}?cursor=0")).StatusCode);

        var sp = await _app.TransportAsync("shortpoll");
        Assert.Equal(3, Long(sp, "requests"));
        Assert.Equal(_wire.Written, Long(sp, "bytesIn"));
        Assert.Equal(_wire.Read, Long(sp, "bytesOut"));
        Assert.Equal(1, Long(sp, "messagesOut"));
        Assert.Equal(1, Long(sp, "sessions"));
        Assert.Equal(0, Long(await _app.TransportAsync("longpoll"), "requests"));
        Assert.Equal("shortpoll", (await _app.SessionAsync(key))!["transport"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_lost_poll_response_is_counted_as_resent_when_the_same_cursor_polls_again()
    {
        var (id, key, _, _) = await _client.OpenSessionAsync();
        await _client.PostAsync($"/poll/{id}", Text("one"));
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync($"/poll/{id}?cursor=0")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync($"/poll/{id}?cursor=0")).StatusCode); // as if the first answer was lost

        var own = (await _app.SessionAsync(key))!;
        Assert.Equal(1, Long(own, "messagesOut"));
        Assert.Equal(1, Long(own, "messagesResent"));
        Assert.Equal(1, Long(own["latency"]!, "count"));
    }

    private static StringContent Text(string text) => new(text, Encoding.UTF8, "text/plain");

    private static long Long(JsonNode node, string name) => node[name]!.GetValue<long>();

    // HttpClient returns once the whole response is read, so the connection's byte deltas are exactly this exchange.
    private async Task<HttpResponseMessage> Measure(Func<Task<HttpResponseMessage>> send, params Tally[] tallies)
    {
        long written = _wire.Written, read = _wire.Read;
        var response = await send();
        await response.Content.LoadIntoBufferAsync();
        foreach (var t in tallies)
        {
            t.Written += _wire.Written - written;
            t.Read += _wire.Read - read;
        }
        return response;
    }

    private sealed class Tally
    {
        public long Written;
        public long Read;
    }
}
