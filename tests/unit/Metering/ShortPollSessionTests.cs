using PushCompare.UnitTests.Infrastructure;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace PushCompare.UnitTests.Metering;

/// <summary>
/// A session declares short polling once (<c>POST /poll?wait=0</c>); every request of it then counts as short polling,
/// though none of them repeats <c>wait=0</c>. The session decides, not each request's query.
/// </summary>
public sealed class ShortPollSessionTests : MeteredWireTest
{
    [Fact]
    public async Task Open_send_poll_and_delete_of_a_wait_0_session_all_count_as_short_polling()
    {
        var (id, key, _, _) = await _client.OpenSessionAsync("?wait=0");
        Assert.Equal(HttpStatusCode.Accepted, (await _client.PostAsync($"/poll/{id}", Text("hi"))).StatusCode);
        var polled = await _client.GetAsync($"/poll/{id}?cursor=0");
        Assert.Equal(HttpStatusCode.OK, polled.StatusCode);
        await polled.Content.LoadIntoBufferAsync();
        Assert.Equal(HttpStatusCode.NoContent, (await _client.DeleteAsync($"/poll/{id}")).StatusCode);

        var transports = (await _app.StatsAsync())["transports"]!;
        var sp = transports["shortpoll"]!;
        Assert.Equal(4, Long(sp, "requests"));
        Assert.Equal(_wire.Written, Long(sp, "bytesIn"));
        Assert.Equal(_wire.Read, Long(sp, "bytesOut"));
        Assert.Equal(1, Long(sp, "messagesIn"));
        Assert.Equal(1, Long(sp, "messagesOut"));
        Assert.Equal(0, Long(transports["longpoll"]!, "requests"));
        Assert.Equal(0, Long(transports["longpoll"]!, "bytesIn"));

        var own = (await _app.SessionAsync(key))!;
        Assert.Equal("shortpoll", own["transport"]!.GetValue<string>());
        Assert.Equal(4, Long(own, "requests"));
        Assert.Equal(_wire.Written, Long(own, "bytesIn"));
        Assert.Equal(_wire.Read, Long(own, "bytesOut"));
    }

    [Fact]
    public async Task A_long_polling_session_stays_long_polling_when_one_poll_asks_for_wait_0()
    {
        var (id, key, _, _) = await _client.OpenSessionAsync();
        Assert.Equal(HttpStatusCode.NoContent, (await _client.GetAsync($"/poll/{id}?cursor=0&wait=0")).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await _client.PostAsync($"/poll/{id}?wait=0", Text("hi"))).StatusCode);

        var transports = (await _app.StatsAsync())["transports"]!;
        Assert.Equal(3, Long(transports["longpoll"]!, "requests"));
        Assert.Equal(0, Long(transports["shortpoll"]!, "requests"));
        Assert.Equal("longpoll", (await _app.SessionAsync(key))!["transport"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_short_polling_session_stays_short_polling_when_one_poll_asks_to_wait()
    {
        var (id, _, _, _) = await _client.OpenSessionAsync("?wait=0");
        Assert.Equal(HttpStatusCode.Accepted, (await _client.PostAsync($"/poll/{id}", Text("hi"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync($"/poll/{id}?cursor=0&wait=1000")).StatusCode);

        var transports = (await _app.StatsAsync())["transports"]!;
        Assert.Equal(3, Long(transports["shortpoll"]!, "requests"));
        Assert.Equal(0, Long(transports["longpoll"]!, "requests"));
    }

    [Fact]
    public async Task A_session_opened_with_a_nonzero_wait_is_long_polling()
    {
        var (id, key, _, _) = await _client.OpenSessionAsync("?wait=250");
        Assert.Equal(HttpStatusCode.Accepted, (await _client.PostAsync($"/poll/{id}", Text("hi"))).StatusCode);

        Assert.Equal(2, Long((await _app.StatsAsync())["transports"]!["longpoll"]!, "requests"));
        Assert.Equal("longpoll", (await _app.SessionAsync(key))!["transport"]!.GetValue<string>());
    }

    private static StringContent Text(string text) => new(text, Encoding.UTF8, "text/plain");

    private static long Long(JsonNode node, string name) => node[name]!.GetValue<long>();
}
