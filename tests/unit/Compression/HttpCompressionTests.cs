using System.IO.Compression;
using System.Net;
using System.Text.Json;
using PushCompare.UnitTests.Infrastructure;
using PushCompare.UnitTests.Metering;
using static PushCompare.UnitTests.Compression.WebSocketCompressionTests;

namespace PushCompare.UnitTests.Compression;

/// <summary>
/// HttpCompression: identity unless enabled; when enabled the poll's and the SSE stream's GET answers are Brotli or
/// gzip, decode to the same content, each event still arrives on its own, and the metering counts the compressed
/// bytes the client's sockets moved, to the byte.
/// </summary>
public sealed class HttpCompressionTests
{
    private static readonly (string, string) On = ("HttpCompression:Enabled", "true");

    [Fact]
    public async Task Off_by_default_a_client_accepting_gzip_and_br_gets_identity_polls_and_streams()
    {
        await using var app = new MeteredApp();
        using var http = Client(app, new CountingConnections(), "gzip, br");

        var session = await http.OpenSessionAsync();
        await http.SendAcceptedAsync(session.Id, "plain");
        var poll = await http.PollAsync(session.Id, 0);
        Assert.Empty(poll.Content.Headers.ContentEncoding);
        Assert.Equal(["Received: plain"], (await PollingClient.ReadBatchAsync(poll)).Messages);

        var stream = await http.OpenStreamSessionAsync();
        await using (var events = await EventStream.OpenAsync(http, stream.Id))
        {
            // The framework's SSE result labels its stream "identity" itself; nothing else is applied.
            Assert.All(events.Response.Content.Headers.ContentEncoding, e => Assert.Equal("identity", e));
            Assert.Equal("heartbeat", (await events.NextAsync())!.Type);
        }
        await http.DeleteSessionAsync(session.Id);
        await http.DeleteAsync($"/sse/{stream.Id}");
    }

    [Theory]
    [InlineData("gzip, br", "br")]
    [InlineData("gzip", "gzip")]
    public async Task When_enabled_a_poll_answer_is_compressed_decodes_to_the_batch_and_is_metered_to_the_byte(string accept, string expected)
    {
        await using var app = new MeteredApp(On);
        var wire = new CountingConnections();
        using var http = Client(app, wire, accept);
        var session = await http.OpenSessionAsync();
        Assert.Empty(session.Response.Content.Headers.ContentEncoding); // the 201 carries the session id: never compressed
        string text = string.Concat(Enumerable.Repeat("compress me ", 40));
        await http.SendAcceptedAsync(session.Id, text);

        var poll = await http.PollAsync(session.Id, 0);
        Assert.Equal(HttpStatusCode.OK, poll.StatusCode);
        Assert.Equal([expected], poll.Content.Headers.ContentEncoding);
        Assert.Contains("Accept-Encoding", poll.Headers.Vary);
        var compressed = await poll.Content.ReadAsByteArrayAsync();
        var batch = JsonSerializer.Deserialize<JsonElement>(Decode(compressed, expected));
        Assert.Equal("Received: " + text, batch.GetProperty("messages")[0].GetString());
        Assert.True(compressed.Length < text.Length / 4, $"{compressed.Length} compressed bytes for a {text.Length}-character message");

        var stats = await app.StatsAsync();
        Assert.Empty(await StatsEncodingAsync(app, accept)); // the instrument itself stays identity
        var longpoll = stats["transports"]!["longpoll"]!;
        Assert.Equal(wire.Written, Long(longpoll, "bytesIn"));
        Assert.Equal(wire.Read, Long(longpoll, "bytesOut"));
        Assert.Equal(text.Length + "Received: ".Length, Long(longpoll, "payloadBytesOut")); // the message, not its compressed size
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("br")]
    public async Task When_enabled_the_event_stream_is_compressed_each_event_arrives_before_the_next_is_sent_and_bytes_match(string encoding)
    {
        await using var app = new MeteredApp(On, ("ServerSentEvents:HeartbeatInterval", "01:00:00"));
        var wire = new CountingConnections();
        using var streams = Client(app, wire, encoding);
        using var sends = Client(app, wire, encoding);
        var session = await sends.OpenStreamSessionAsync();

        var request = new HttpRequestMessage(HttpMethod.Get, $"/sse/{session.Id}");
        request.Headers.Accept.ParseAdd("text/event-stream");
        var response = await streams.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal([encoding], response.Content.Headers.ContentEncoding);
        await using (var events = EventStream.Over(response, Decoder(await response.Content.ReadAsStreamAsync(), encoding)))
        {
            Assert.Equal("heartbeat", (await events.NextAsync())!.Type); // the opening heartbeat, flushed through the compressor
            for (int i = 1; i <= 3; i++)
            {
                // The next message is sent only once this one's event was decoded: each event is flushed on its own.
                await sends.SendStreamAcceptedAsync(session.Id, $"message {i}", $"?seq={i}&ack={i - 1}");
                var e = (await events.NextMessageAsync())!;
                Assert.Equal($"Received: message {i}", e.Data);
                Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Id);
            }

            // No byte comparison while the stream is open: a decoder can hand over an event before it has read the
            // encoder's trailing flush bytes (gzip's 00 00 FF FF, Brotli's empty block), so the client may trail the
            // server by those until the next read. DELETE ends the stream, and the client reads it to its last chunk.
            Assert.Equal(HttpStatusCode.NoContent, (await sends.DeleteAsync($"/sse/{session.Id}")).StatusCode);
            Assert.Null(await events.NextMessageAsync());
        }

        var closed = (await app.SessionAsync(session.StatsKey))!;
        Assert.Equal(wire.Written, Long(closed, "bytesIn"));
        Assert.Equal(wire.Read, Long(closed, "bytesOut"));
        Assert.Equal(3, Long(closed, "messagesOut"));
    }

    private static HttpClient Client(MeteredApp app, CountingConnections wire, string acceptEncoding)
    {
        var http = new HttpClient(wire.CreateHandler()) { BaseAddress = app.BaseAddress }; // no automatic decompression: the test decodes
        http.DefaultRequestHeaders.TryAddWithoutValidation("Accept-Encoding", acceptEncoding);
        return http;
    }

    private static async Task<ICollection<string>> StatsEncodingAsync(MeteredApp app, string accept)
    {
        using var http = new HttpClient { BaseAddress = app.BaseAddress };
        http.DefaultRequestHeaders.TryAddWithoutValidation("Accept-Encoding", accept);
        using var response = await http.GetAsync("/api/stats");
        return response.Content.Headers.ContentEncoding;
    }

    private static Stream Decoder(Stream body, string encoding) => encoding == "br"
        ? new BrotliStream(body, CompressionMode.Decompress)
        : new GZipStream(body, CompressionMode.Decompress);

    private static byte[] Decode(byte[] body, string encoding)
    {
        using var decoder = Decoder(new MemoryStream(body), encoding);
        var output = new MemoryStream();
        decoder.CopyTo(output);
        return output.ToArray();
    }
}
