using System.Net;
using System.Text.Json.Nodes;
using PushCompare.UnitTests.Infrastructure;

namespace PushCompare.UnitTests.Metering;

/// <summary>
/// An SSE session's figures are exact while its stream is still open — the opening POST, the stream so far and
/// every send — equal to the bytes the client's own sockets moved; and latency ends when each event is written.
/// </summary>
public sealed class ServerSentEventsMeteringTests : IAsyncLifetime
{
    private readonly MeteredApp _app = new();
    private readonly CountingConnections _wire = new();
    private HttpClient _streams = null!, _sends = null!;

    public Task InitializeAsync()
    {
        // One connection for the stream, one for the POSTs: both counted by the same tally.
        _streams = new HttpClient(_wire.CreateHandler()) { BaseAddress = _app.BaseAddress };
        _sends = new HttpClient(_wire.CreateHandler()) { BaseAddress = _app.BaseAddress };
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _streams.Dispose();
        _sends.Dispose();
        await _app.DisposeAsync();
    }

    [Fact]
    public async Task The_sessions_figures_equal_the_clients_bytes_while_the_stream_is_open_and_after_it_ends()
    {
        var session = await _sends.OpenStreamSessionAsync();
        await using (var stream = await EventStream.OpenAsync(_streams, session.Id))
        {
            await stream.NextAsync(); // the opening heartbeat
            for (int i = 1; i <= 5; i++)
            {
                await _sends.SendStreamAcceptedAsync(session.Id, $"message {i}", $"?seq={i}&ack={i - 1}");
                Assert.Equal($"Received: message {i}", (await stream.NextMessageAsync())!.Data);
            }

            // Still open: everything the server wrote has been read, so the client's counts are the server's.
            var open = (await _app.SessionAsync(session.StatsKey))!;
            Assert.True(open["open"]!.GetValue<bool>());
            Assert.Equal("sse", open["transport"]!.GetValue<string>());
            Assert.Equal(7, Long(open, "requests")); // POST /sse, the stream, five sends
            Assert.Equal(_wire.Written, Long(open, "bytesIn"));
            Assert.Equal(_wire.Read, Long(open, "bytesOut"));
            Assert.Equal(5, Long(open, "messagesIn"));
            Assert.Equal(5, Long(open, "messagesOut"));
            Assert.Equal(5, Long(open["latency"]!, "count"));
        }

        // The client dropped the stream; DELETE ends the session, and its figures stay exact to the byte. (The client's
        // handler may still be draining the dropped response for reuse: the stream's last chunk, written when the session
        // ends, can reach it after the DELETE's answer, so the comparison waits for the stream's request to be over.)
        Assert.Equal(HttpStatusCode.NoContent, (await _sends.DeleteAsync($"/sse/{session.Id}")).StatusCode);
        await Eventually.AssertAsync(async () => _wire.Read == Long((await _app.SessionAsync(session.StatsKey))!, "bytesOut"),
            "the server's figure reaches what the client read, once the dropped stream's last chunk is written");
        var closed = (await _app.SessionAsync(session.StatsKey))!;
        Assert.False(closed["open"]!.GetValue<bool>());
        Assert.Equal(8, Long(closed, "requests"));
        Assert.Equal(_wire.Written, Long(closed, "bytesIn"));
        Assert.Equal(_wire.Read, Long(closed, "bytesOut"));
        var sse = await _app.TransportAsync("sse");
        Assert.Equal(_wire.Written, Long(sse, "bytesIn"));
        Assert.Equal(_wire.Read, Long(sse, "bytesOut"));
    }

    private static long Long(JsonNode node, string name) => node[name]!.GetValue<long>();
}
