using System.Net.WebSockets;
using PushCompare.Metering;

namespace PushCompare.UnitTests.Metering;

/// <summary>RFC 6455 §5.2 header sizes, checked against the arithmetic and against frames the framework itself writes.</summary>
public sealed class Rfc6455FramingTests
{
    [Theory]
    [InlineData(0, false, 2)]
    [InlineData(125, false, 2)]
    [InlineData(126, false, 4)]
    [InlineData(65_535, false, 4)]
    [InlineData(65_536, false, 10)]
    [InlineData(0, true, 6)]
    [InlineData(125, true, 6)]
    [InlineData(126, true, 8)]
    [InlineData(65_535, true, 8)]
    [InlineData(65_536, true, 14)]
    public void Header_length_follows_the_payload_length_encoding_and_the_mask(long payload, bool masked, int expected) =>
        Assert.Equal(expected, Rfc6455Framing.HeaderLength(payload, masked));

    [Fact]
    public void Header_length_rejects_a_negative_payload() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Rfc6455Framing.HeaderLength(-1, masked: false));

    [Theory]
    [InlineData(0, true)]
    [InlineData(125, true)]
    [InlineData(126, true)]
    [InlineData(65_535, true)]
    [InlineData(65_536, true)]
    [InlineData(0, false)]
    [InlineData(125, false)]
    [InlineData(126, false)]
    [InlineData(65_535, false)]
    [InlineData(65_536, false)]
    public async Task The_scanner_finds_the_header_of_a_frame_the_framework_wrote_in_chunks_of_any_size(int payload, bool masked)
    {
        // A client-side WebSocket masks (§5.3); a server-side one does not.
        byte[] wire = await FramesAsync(isServer: !masked, async socket =>
            await socket.SendAsync(new byte[payload], WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None));
        int header = Rfc6455Framing.HeaderLength(payload, masked);
        Assert.Equal(header + payload, wire.Length);

        foreach (int chunk in new[] { 1, 3, 7, 1024, wire.Length })
        {
            var counts = Scan(wire, chunk);
            Assert.Equal(1, counts.Frames);
            Assert.Equal(0, counts.ControlFrames);
            Assert.Equal(header, counts.HeaderBytes);
        }
    }

    [Fact]
    public async Task The_scanner_tells_control_frames_and_fragments_apart()
    {
        byte[] wire = await FramesAsync(isServer: false, async socket =>
        {
            await socket.SendAsync("frag"u8.ToArray(), WebSocketMessageType.Text, endOfMessage: false, CancellationToken.None);
            await socket.SendAsync("ment"u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
        });

        var counts = Scan(wire, 2);
        Assert.Equal(3, counts.Frames);
        Assert.Equal(1, counts.ControlFrames);
        Assert.Equal(2 * Rfc6455Framing.HeaderLength(4, masked: true) + Rfc6455Framing.HeaderLength(2 + 3, masked: true), counts.HeaderBytes);
    }

    private static FrameCounts Scan(byte[] wire, int chunk)
    {
        var scanner = default(WebSocketFrameScanner);
        var counts = default(FrameCounts);
        for (int i = 0; i < wire.Length; i += chunk) scanner.Scan(wire.AsSpan(i, Math.Min(chunk, wire.Length - i)), ref counts);
        return counts;
    }

    // The framework's own WebSocket writes the frames into a buffer: the test never builds a frame by hand.
    private static async Task<byte[]> FramesAsync(bool isServer, Func<WebSocket, Task> send)
    {
        var stream = new MemoryStream();
        using var socket = WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { IsServer = isServer, KeepAliveInterval = TimeSpan.Zero });
        await send(socket);
        return stream.ToArray();
    }
}
