using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using PushCompare.UnitTests.Infrastructure;

namespace PushCompare.UnitTests.Metering;

/// <summary>
/// A session carried by several transports: its figures are split by the transport whose requests carried each byte
/// (<c>parts</c>), each part equal to what that transport's own connections moved, and the session's figures are their sum.
/// </summary>
public sealed class SessionPartsTests : IAsyncLifetime
{
    private readonly MeteredApp _app = new();
    private readonly CountingConnections _pollWire = new(), _sseWire = new();
    private HttpClient _polls = null!, _sseSends = null!, _streams = null!;

    public Task InitializeAsync()
    {
        _polls = new HttpClient(_pollWire.CreateHandler()) { BaseAddress = _app.BaseAddress };
        _sseSends = new HttpClient(_sseWire.CreateHandler()) { BaseAddress = _app.BaseAddress };
        _streams = new HttpClient(_sseWire.CreateHandler()) { BaseAddress = _app.BaseAddress };
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _polls.Dispose();
        _sseSends.Dispose();
        _streams.Dispose();
        await _app.DisposeAsync();
    }

    private static StringContent Text(string text) => new(text, Encoding.UTF8, "text/plain");

    [Fact]
    public async Task Each_transports_part_is_its_own_bytes_and_the_session_is_their_sum()
    {
        var session = await _polls.OpenSessionAsync("?echo=exact");
        Assert.Equal(HttpStatusCode.Accepted, (await _polls.PostAsync($"/poll/{session.Id}?seq=1", Text("one"))).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await _polls.PostAsync($"/poll/{session.Id}?seq=2", Text("two"))).StatusCode);
        AssertBatch(2, ["one", "two"], await _polls.PollBatchAsync(session.Id, 0));

        Assert.Equal(HttpStatusCode.Accepted, (await _sseSends.PostAsync($"/sse/{session.Id}?seq=3", Text("three"))).StatusCode);
        await using var stream = await EventStream.OpenAsync(_streams, session.Id, lastEventId: "2");
        Assert.Equal("three", (await stream.NextMessageAsync())!.Data);

        var figures = (await _app.SessionAsync(session.StatsKey))!;
        Assert.Equal("longpoll", figures["transport"]!.GetValue<string>()); // the transport that opened it
        var parts = figures["parts"]!.AsObject();
        Assert.Equal(["longpoll", "sse"], parts.Select(p => p.Key));
        var (poll, sse) = (parts["longpoll"]!, parts["sse"]!);

        Assert.Equal(4, Long(poll, "requests")); // POST /poll, two sends, one poll
        Assert.Equal(_pollWire.Written, Long(poll, "bytesIn"));
        Assert.Equal(_pollWire.Read, Long(poll, "bytesOut"));
        Assert.Equal(2, Long(poll, "messagesIn"));
        Assert.Equal(2, Long(poll, "messagesOut"));

        Assert.Equal(2, Long(sse, "requests")); // one send, the stream
        Assert.Equal(_sseWire.Written, Long(sse, "bytesIn"));
        Assert.Equal(_sseWire.Read, Long(sse, "bytesOut"));
        Assert.Equal(1, Long(sse, "messagesIn"));
        Assert.Equal(1, Long(sse, "messagesOut"));

        foreach (var name in new[] { "requests", "bytesIn", "bytesOut", "messagesIn", "messagesOut", "payloadBytesIn", "payloadBytesOut", "wireBytesIn", "wireBytesOut" })
            Assert.Equal(Long(poll, name) + Long(sse, name), Long(figures, name));
        Assert.Equal(Long(poll["latency"]!, "count") + Long(sse["latency"]!, "count"), Long(figures["latency"]!, "count"));
    }

    private static long Long(JsonNode node, string name) => node[name]!.GetValue<long>();

    private static void AssertBatch(long cursor, string[] messages, Batch batch)
    {
        Assert.Equal(cursor, batch.Cursor);
        Assert.Equal(messages, batch.Messages);
    }
}
