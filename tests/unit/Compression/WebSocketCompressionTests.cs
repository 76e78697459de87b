using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using PushCompare.UnitTests.Infrastructure;
using PushCompare.UnitTests.Metering;

namespace PushCompare.UnitTests.Compression;

/// <summary>
/// permessage-deflate (RFC 7692) on the echo endpoint: refused unless WebSockets:Compression:Enabled, negotiated with
/// the configured parameters when it is, and metered honestly (wire bytes exact; application and frame payload apart).
/// </summary>
public sealed class WebSocketCompressionTests
{
    /// <summary>What Chromium offers in every handshake.</summary>
    internal const string ChromiumOffer = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n";

    internal static readonly (string, string) Enabled = ("WebSockets:Compression:Enabled", "true");

    internal const string Repetitive = "the quick brown fox jumps over the lazy dog; the quick brown fox jumps over the lazy dog again";

    [Fact]
    public async Task Off_by_default_an_offer_gets_no_extension_and_the_echo_is_uncompressed()
    {
        await using var app = new MeteredApp();
        var (raw, head) = await RawConnection.OpenWebSocketWithHeadAsync(app.BaseAddress, extraHeaders: ChromiumOffer);
        await using var _ = raw;

        Assert.DoesNotContain("Sec-WebSocket-Extensions", head, StringComparison.OrdinalIgnoreCase);
        await raw.WriteAsync(ClientFrame.Build(ServerFrame.Text, "hello"u8));
        var reply = await raw.ReadFrameAsync();
        Assert.False(reply.Rsv1);
        Assert.Equal("Received: hello", Encoding.UTF8.GetString(reply.Payload));
        Assert.Equal(0, Long(await app.TransportAsync("websocket"), "compressedMessagesOut"));
    }

    [Theory]
    [InlineData(false, "")]             // compression off, nothing offered
    [InlineData(false, ChromiumOffer)]  // compression off, offered and declined
    [InlineData(true, "")]              // compression on, but this client did not offer it
    public async Task A_compressed_frame_when_nothing_was_negotiated_is_refused_with_1002_and_not_echoed(bool enabled, string offer)
    {
        await using var app = enabled ? new MeteredApp(Enabled) : new MeteredApp();
        var (raw, head) = await RawConnection.OpenWebSocketWithHeadAsync(app.BaseAddress, extraHeaders: offer);
        await using var _ = raw;
        Assert.DoesNotContain("permessage-deflate", head, StringComparison.OrdinalIgnoreCase);

        await raw.WriteAsync(ClientFrame.Build(ServerFrame.Text, PerMessageDeflate.Compress("hello"), rsv1: true));

        var close = await raw.ReadFrameAsync(); // the first frame back is the close: no echo of the refused message
        Assert.Equal(ServerFrame.Close, close.Opcode);
        Assert.Equal(1002, close.CloseCode);
        await raw.WriteAsync(ClientFrame.Close(1002)); // answered, so the server ends TCP at once
        await raw.ReadEndAsync();
        Assert.Equal(0, Long(await app.TransportAsync("websocket"), "messagesIn"));
    }

    [Fact]
    public async Task When_enabled_the_101_accepts_the_offer_with_the_configured_parameters()
    {
        await using var app = new MeteredApp(Enabled, ("WebSockets:Compression:ServerMaxWindowBits", "10"),
            ("WebSockets:Compression:DisableServerContextTakeover", "true"));
        var (raw, head) = await RawConnection.OpenWebSocketWithHeadAsync(app.BaseAddress, extraHeaders: ChromiumOffer);
        await using var _ = raw;

        string extension = ExtensionLine(head);
        Assert.StartsWith("permessage-deflate", extension, StringComparison.Ordinal);
        Assert.Contains("server_max_window_bits=10", extension, StringComparison.Ordinal);
        Assert.Contains("server_no_context_takeover", extension, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Echo_of_small_large_and_repeated_messages_is_exact_compressed_and_metered_to_the_byte()
    {
        await using var app = new MeteredApp(Enabled);
        var wire = new CountingConnections();
        string client = "deflate-" + Guid.NewGuid().ToString("N");
        using var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.DangerousDeflateOptions = new WebSocketDeflateOptions(); // 15/15 bits, context takeover both ways
        using var invoker = new HttpMessageInvoker(wire.CreateHandler());
        await socket.ConnectAsync(new UriBuilder(app.BaseAddress) { Scheme = "ws", Path = "/ws", Query = "client=" + client }.Uri, invoker, default);
        Assert.StartsWith("permessage-deflate", string.Join(",", socket.HttpResponseHeaders!["Sec-WebSocket-Extensions"]), StringComparison.Ordinal);

        var random = new Random(7);
        string large = string.Concat(Enumerable.Range(0, 60_000).Select(_ => (char)('a' + random.Next(26))));
        string[] messages = ["hi", large, .. Enumerable.Repeat(Repetitive, 10)];
        var buffer = new byte[70_000];
        foreach (var message in messages)
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes(message), WebSocketMessageType.Text, endOfMessage: true, default);
            int count = 0;
            ValueWebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(buffer.AsMemory(count), default);
                count += result.Count;
            }
            while (!result.EndOfMessage);
            Assert.Equal("Received: " + message, Encoding.UTF8.GetString(buffer, 0, count));
        }
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, default);

        var ws = (await app.SessionAsync(client))!;
        Assert.Equal(wire.Written, Long(ws, "bytesIn"));
        Assert.Equal(wire.Read, Long(ws, "bytesOut"));
        long application = messages.Sum(m => Encoding.UTF8.GetByteCount("Received: " + m));
        Assert.Equal(messages.Length, Long(ws, "messagesOut"));
        Assert.Equal(application, Long(ws, "payloadBytesOut"));                 // what the application sent
        Assert.Equal(messages.Length, Long(ws, "compressedMessagesOut"));       // every reply went out with RSV1
        Assert.Equal(messages.Length, Long(ws, "compressedMessagesIn"));
        Assert.True(Long(ws, "framePayloadBytesOut") < application,            // what crossed the wire for it
            $"frame payload {Long(ws, "framePayloadBytesOut")} should be below the {application} application bytes");
        Assert.True(Long(ws, "framePayloadBytesIn") < Long(ws, "payloadBytesIn"));
    }

    [Fact]
    public async Task Frames_are_compressed_with_RSV1_smaller_for_repetitive_text_and_counted_as_sent()
    {
        await using var app = new MeteredApp(Enabled);
        var (raw, head) = await RawConnection.OpenWebSocketWithHeadAsync(app.BaseAddress, "/ws?client=raw-deflate",
            extraHeaders: "Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover\r\n");
        await using var _ = raw;
        Assert.Contains("client_no_context_takeover", ExtensionLine(head), StringComparison.Ordinal);

        var sent = PerMessageDeflate.Compress(Repetitive);
        await raw.WriteAsync(ClientFrame.Build(ServerFrame.Text, sent, rsv1: true));
        var reply = await raw.ReadFrameAsync();

        string expected = "Received: " + Repetitive;
        Assert.True(reply.Rsv1, "the reply must be sent compressed");
        Assert.True(reply.Payload.Length < Encoding.UTF8.GetByteCount(expected), $"{reply.Payload.Length} bytes for {expected.Length} of text");
        Assert.Equal(expected, PerMessageDeflate.Decompress(reply.Payload, Encoding.UTF8.GetByteCount(expected)));

        var figures = (await app.SessionAsync("raw-deflate"))!;
        Assert.Equal(Encoding.UTF8.GetByteCount(Repetitive), Long(figures, "payloadBytesIn"));
        Assert.Equal(sent.Length, Long(figures, "framePayloadBytesIn"));
        Assert.Equal(reply.Payload.Length, Long(figures, "framePayloadBytesOut"));
        Assert.Equal(1, Long(figures, "compressedMessagesIn"));
        Assert.Equal(1, Long(figures, "compressedMessagesOut"));
    }

    internal static string ExtensionLine(string head)
    {
        var line = head.Split("\r\n").SingleOrDefault(l => l.StartsWith("Sec-WebSocket-Extensions:", StringComparison.OrdinalIgnoreCase));
        Assert.True(line is not null, $"no Sec-WebSocket-Extensions in the 101: {head}");
        return line["Sec-WebSocket-Extensions:".Length..].Trim();
    }

    internal static long Long(JsonNode node, string name) => node[name]!.GetValue<long>();
}
