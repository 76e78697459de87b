using System.Net;
using System.Net.Http.Headers;
using System.Text;
using PushCompare.UnitTests.Infrastructure;

namespace PushCompare.UnitTests.WebSockets;

/// <summary>
/// RFC 6455 on real Kestrel over a raw TCP socket: the handshake vector, then hand-built frames, checked byte for byte.
/// Client frames are masked (§5.3); server frames must not be.
/// </summary>
public sealed class WireBytesTests(KestrelApp app) : IClassFixture<KestrelApp>
{
    private static readonly byte[] Mask = [0x37, 0xFA, 0x21, 0x3D];

    [Fact]
    public async Task Handshake_vector_then_text_echo_then_close_1000()
    {
        await using var wire = await RawConnection.OpenAsync(app.KestrelAddress);

        var head = await HandshakeAsync(wire);
        Assert.StartsWith("HTTP/1.1 101 Switching Protocols\r\n", head);
        Assert.Equal("rE91AJhfC+6JdVcVXOGJEADEJdQ=", Header(head, "Sec-WebSocket-Accept"));
        Assert.Equal("websocket", Header(head, "Upgrade"), ignoreCase: true);
        Assert.Equal("Upgrade", Header(head, "Connection"), ignoreCase: true);

        // FIN + text opcode, mask bit + 7-bit length, the 4-byte mask, then the payload XORed with it.
        byte[] hello = "Hello, world!"u8.ToArray();
        await wire.WriteAsync((byte[])[0x81, (byte)(0x80 | hello.Length), .. Mask, .. Masked(hello)]);

        byte[] reply = "Received: Hello, world!"u8.ToArray();
        Assert.Equal((byte[])[0x81, (byte)reply.Length, .. reply], await wire.ReadExactlyAsync(2 + reply.Length));

        // Close frame: FIN + opcode 8, masked, payload = status 1000 big-endian.
        await wire.WriteAsync((byte[])[0x88, 0x80 | 2, .. Mask, .. Masked([0x03, 0xE8])]);

        var closeHeader = await wire.ReadExactlyAsync(2);
        Assert.Equal(0x88, closeHeader[0]);                 // FIN + close
        Assert.Equal(0, closeHeader[1] & 0x80);             // unmasked
        int length = closeHeader[1] & 0x7F;
        Assert.InRange(length, 2, 125);
        var closePayload = await wire.ReadExactlyAsync(length);
        Assert.Equal((byte[])[0x03, 0xE8], closePayload[..2]); // 1000
        Assert.True(await wire.IsClosedByServerAsync(), "the server should close the TCP connection after the close handshake");
    }

    [Fact]
    public async Task Text_message_in_two_frames_gets_one_reply_frame()
    {
        await using var wire = await RawConnection.OpenAsync(app.KestrelAddress);
        Assert.StartsWith("HTTP/1.1 101 ", await HandshakeAsync(wire));

        // Text opcode without FIN, then a continuation frame (opcode 0) with FIN.
        await wire.WriteAsync((byte[])[0x01, 0x80 | 3, .. Mask, .. Masked("Hel"u8)]);
        await wire.WriteAsync((byte[])[0x80, 0x80 | 2, .. Mask, .. Masked("lo"u8)]);

        byte[] reply = "Received: Hello"u8.ToArray();
        Assert.Equal((byte[])[0x81, (byte)reply.Length, .. reply], await wire.ReadExactlyAsync(2 + reply.Length));
    }

    [Fact]
    public async Task Close_without_a_status_code_is_answered_with_none_or_1000()
    {
        await using var wire = await RawConnection.OpenAsync(app.KestrelAddress);
        Assert.StartsWith("HTTP/1.1 101 ", await HandshakeAsync(wire));

        await wire.WriteAsync((byte[])[0x88, 0x80, .. Mask]); // close frame with an empty payload

        // RFC 6455 §5.5.1 lets the answer carry no code or 1000; .NET reports an empty close as 1000 and echoes that.
        var header = await wire.ReadExactlyAsync(2);
        Assert.Equal(0x88, header[0]);
        Assert.Contains(header[1], new byte[] { 0, 2 });
        if (header[1] == 2) Assert.Equal((byte[])[0x03, 0xE8], await wire.ReadExactlyAsync(2));
        Assert.True(await wire.IsClosedByServerAsync(), "the server should close the TCP connection after the close handshake");
    }

    [Fact]
    public async Task Unknown_echo_mode_on_an_upgrade_is_400_problem()
    {
        using var http = new HttpClient { BaseAddress = app.KestrelAddress };
        var request = new HttpRequestMessage(HttpMethod.Get, "/ws?echo=shout");
        request.Headers.Connection.Add("Upgrade");
        request.Headers.Upgrade.Add(new ProductHeaderValue("websocket"));
        request.Headers.Add("Sec-WebSocket-Key", "f7cb4ezEAl6C3wRaU6JORA==");
        request.Headers.Add("Sec-WebSocket-Version", "13");

        var response = await http.SendAsync(request);

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("echo='shout'", ProblemAssert.Detail(problem));
    }

    private async Task<string> HandshakeAsync(RawConnection wire)
    {
        await wire.WriteAsync(
            "GET /ws HTTP/1.1\r\n" +
            $"Host: {app.KestrelAddress.Authority}\r\n" +
            "Upgrade: websocket\r\n" +
            "Connection: Upgrade\r\n" +
            "Sec-WebSocket-Key: f7cb4ezEAl6C3wRaU6JORA==\r\n" +
            "Sec-WebSocket-Version: 13\r\n" +
            "\r\n");
        return await wire.ReadHttpHeadAsync();
    }

    private static byte[] Masked(ReadOnlySpan<byte> payload)
    {
        var masked = new byte[payload.Length];
        for (int i = 0; i < payload.Length; i++) masked[i] = (byte)(payload[i] ^ Mask[i % 4]);
        return masked;
    }

    private static string? Header(string head, string name) => head.Split("\r\n")
        .Select(line => line.Split(':', 2))
        .Where(parts => parts.Length == 2 && parts[0].Trim().Equals(name, StringComparison.OrdinalIgnoreCase))
        .Select(parts => parts[1].Trim())
        .FirstOrDefault();
}
