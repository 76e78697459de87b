using System.Text;
using PushCompare.UnitTests.Infrastructure;
using PushCompare.UnitTests.Metering;
using static PushCompare.UnitTests.Compression.WebSocketCompressionTests;

namespace PushCompare.UnitTests.Compression;

/// <summary>
/// The RFC 7692 behaviours Autobahn|Testsuite's cases 12.* and 13.* exercise, which cannot run here (docs/protocol.md):
/// negotiation parameters, context takeover on and off, a compressed message split across frames with a control
/// frame between them, and RSV1 where it is not allowed. Sent and read as raw bytes; deflate checked with .NET's own.
/// </summary>
public sealed class Rfc7692Tests
{
    [Theory]
    [InlineData("permessage-deflate", "permessage-deflate")]
    [InlineData("permessage-deflate; client_max_window_bits=10", "client_max_window_bits=10")]
    [InlineData("permessage-deflate; client_no_context_takeover", "client_no_context_takeover")]
    [InlineData("permessage-deflate; server_no_context_takeover", "server_no_context_takeover")]
    [InlineData("permessage-deflate; server_max_window_bits=9", "server_max_window_bits=9")]
    public async Task The_server_answers_each_offer_parameter_it_accepts(string offer, string expected)
    {
        await using var app = new MeteredApp(Enabled);
        var (raw, head) = await RawConnection.OpenWebSocketWithHeadAsync(app.BaseAddress, extraHeaders: $"Sec-WebSocket-Extensions: {offer}\r\n");
        await using var _ = raw;

        Assert.Contains(expected, ExtensionLine(head), StringComparison.Ordinal);
        await AssertEchoesCompressedAsync(raw, new Inflater(), "after " + offer);
    }

    [Theory]
    [InlineData("x-webkit-deflate-frame")]                           // another extension only
    [InlineData("permessage-deflate; server_max_window_bits=8")]     // below the framework's smallest window (9)
    [InlineData("permessage-deflate; client_max_window_bits=8")]
    public async Task An_offer_the_server_cannot_meet_is_declined_and_the_socket_works_uncompressed(string offer)
    {
        await using var app = new MeteredApp(Enabled);
        var (raw, head) = await RawConnection.OpenWebSocketWithHeadAsync(app.BaseAddress, extraHeaders: $"Sec-WebSocket-Extensions: {offer}\r\n");
        await using var _ = raw;

        Assert.DoesNotContain("Sec-WebSocket-Extensions", head, StringComparison.OrdinalIgnoreCase);
        await raw.WriteAsync(ClientFrame.Build(ServerFrame.Text, "plain"u8));
        Assert.Equal("Received: plain", Encoding.UTF8.GetString((await raw.ReadFrameAsync()).Payload));
    }

    [Fact]
    public async Task With_context_takeover_a_repeated_reply_refers_back_and_needs_the_kept_context()
    {
        await using var app = new MeteredApp(Enabled);
        await using var raw = (await RawConnection.OpenWebSocketWithHeadAsync(app.BaseAddress, extraHeaders: ChromiumOffer)).Connection;
        var inflater = new Inflater();

        var first = await AssertEchoesCompressedAsync(raw, inflater, Repetitive);
        var second = await AssertEchoesCompressedAsync(raw, inflater, Repetitive);

        Assert.True(second.Length < first.Length / 2, $"the second reply ({second.Length} bytes) should point back into the first ({first.Length})");
        Assert.Throws<InvalidDataException>(() => PerMessageDeflate.Decompress(second, Encoding.UTF8.GetByteCount("Received: " + Repetitive)));
    }

    [Fact]
    public async Task Without_server_context_takeover_every_reply_stands_alone()
    {
        await using var app = new MeteredApp(Enabled, ("WebSockets:Compression:DisableServerContextTakeover", "true"));
        var (raw, head) = await RawConnection.OpenWebSocketWithHeadAsync(app.BaseAddress, extraHeaders: ChromiumOffer);
        await using var _ = raw;
        Assert.Contains("server_no_context_takeover", ExtensionLine(head), StringComparison.Ordinal);

        var first = await AssertEchoesCompressedAsync(raw, new Inflater(), Repetitive);
        var second = await AssertEchoesCompressedAsync(raw, new Inflater(), Repetitive); // a fresh context inflates it

        Assert.Equal(first, second);
    }

    [Fact]
    public async Task A_compressed_message_split_across_frames_with_a_ping_between_them_is_reassembled()
    {
        await using var app = new MeteredApp(Enabled);
        await using var raw = (await RawConnection.OpenWebSocketWithHeadAsync(app.BaseAddress, "/ws?client=fragments", extraHeaders: ChromiumOffer)).Connection;
        string text = string.Concat(Enumerable.Repeat("fragmented ", 30));
        var payload = PerMessageDeflate.Compress(text);
        int half = payload.Length / 2;

        // RSV1 on the first frame only (§6.1); a ping may come between the fragments of a message (RFC 6455 §5.4).
        await raw.WriteAsync(ClientFrame.Build(ServerFrame.Text, payload.AsSpan(0, half), fin: false, rsv1: true));
        await raw.WriteAsync(ClientFrame.Build(ServerFrame.Ping, "between"u8));
        await raw.WriteAsync(ClientFrame.Build(0x0, payload.AsSpan(half)));

        var pong = await raw.ReadFrameAsync();
        Assert.Equal(ServerFrame.Pong, pong.Opcode);
        Assert.False(pong.Rsv1, "control frames are never compressed (§6.1)");
        Assert.Equal("between", Encoding.ASCII.GetString(pong.Payload));
        var reply = await raw.ReadFrameAsync();
        Assert.True(reply.Rsv1);
        Assert.Equal("Received: " + text, new Inflater().Next(reply.Payload, Encoding.UTF8.GetByteCount("Received: " + text)));

        var figures = (await app.SessionAsync("fragments"))!;
        Assert.Equal(1, Long(figures, "messagesIn"));
        Assert.Equal(1, Long(figures, "compressedMessagesIn")); // two data frames, one message
        Assert.Equal(payload.Length, Long(figures, "framePayloadBytesIn")); // the ping's payload is a control frame's
        Assert.Equal(3, Long(figures, "framesIn"));
        Assert.Equal(1, Long(figures, "controlFramesIn"));
    }

    [Fact]
    public async Task RSV1_on_a_continuation_frame_is_refused_with_1002()
    {
        await using var app = new MeteredApp(Enabled);
        await using var raw = (await RawConnection.OpenWebSocketWithHeadAsync(app.BaseAddress, extraHeaders: ChromiumOffer)).Connection;
        var payload = PerMessageDeflate.Compress("two frames");

        await raw.WriteAsync(ClientFrame.Build(ServerFrame.Text, payload.AsSpan(0, 3), fin: false, rsv1: true));
        await raw.WriteAsync(ClientFrame.Build(0x0, payload.AsSpan(3), rsv1: true));

        var close = await raw.ReadFrameAsync();
        Assert.Equal(ServerFrame.Close, close.Opcode);
        Assert.Equal(1002, close.CloseCode);
        Assert.Equal(0, Long(await app.TransportAsync("websocket"), "messagesIn"));
    }

    /// <summary>
    /// A known deviation, pinned so a framework change shows up: RFC 7692 §6.1 gives RSV1 no meaning on a control frame,
    /// so RFC 6455 §5.2 says to fail the connection; .NET's ManagedWebSocket (10.0) instead answers the ping, with a
    /// plain pong, and keeps the connection. docs/protocol.md lists it.
    /// </summary>
    [Fact]
    public async Task A_ping_with_RSV1_is_answered_with_a_plain_pong_by_the_framework()
    {
        await using var app = new MeteredApp(Enabled);
        await using var raw = (await RawConnection.OpenWebSocketWithHeadAsync(app.BaseAddress, extraHeaders: ChromiumOffer)).Connection;

        await raw.WriteAsync(ClientFrame.Build(ServerFrame.Ping, "x"u8, rsv1: true));

        var pong = await raw.ReadFrameAsync();
        Assert.Equal(ServerFrame.Pong, pong.Opcode);
        Assert.False(pong.Rsv1);
        Assert.Equal("x", Encoding.ASCII.GetString(pong.Payload));
        await AssertEchoesCompressedAsync(raw, new Inflater(), "still open");
    }

    /// <summary>Sends <paramref name="text"/> compressed (fresh context), checks the RSV1 reply inflates to the echo, returns its frame payload.</summary>
    private static async Task<byte[]> AssertEchoesCompressedAsync(RawConnection raw, Inflater inflater, string text)
    {
        await raw.WriteAsync(ClientFrame.Build(ServerFrame.Text, PerMessageDeflate.Compress(text), rsv1: true));
        var reply = await raw.ReadFrameAsync();
        Assert.Equal(ServerFrame.Text, reply.Opcode);
        Assert.True(reply.Rsv1, "the reply must be compressed");
        string expected = "Received: " + text;
        Assert.Equal(expected, inflater.Next(reply.Payload, Encoding.UTF8.GetByteCount(expected)));
        return reply.Payload;
    }
}
