using System.Buffers.Binary;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using PushCompare.UnitTests.Infrastructure;

namespace PushCompare.UnitTests.Https;

/// <summary>
/// A client that opens and resets HTTP/2 streams in a loop (the 2023 "rapid reset" attack, CVE-2023-44487)
/// is cut off with a GOAWAY, and another client on its own connection is served meanwhile.
/// </summary>
public sealed class RapidResetTests(HttpsApp app) : IClassFixture<HttpsApp>
{
    private const byte Headers = 0x1, RstStream = 0x3, Settings = 0x4, GoAway = 0x7;

    [Fact]
    public async Task A_client_resetting_streams_in_a_loop_gets_a_GOAWAY_and_others_are_unaffected()
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, app.HttpsAddress.Port);
        await using var tls = new SslStream(tcp.GetStream());
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            ApplicationProtocols = [SslApplicationProtocol.Http2],
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
        });
        Assert.Equal(SslApplicationProtocol.Http2, tls.NegotiatedApplicationProtocol);
        await tls.WriteAsync("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray());
        await tls.WriteAsync(Frame(Settings, 0, 0, []));

        // GET / on stream 1, 3, 5…, each reset at once (RST_STREAM CANCEL), as fast as the socket takes them.
        byte[] block = [0x82, 0x87, 0x84, .. Literal(0x01, $"127.0.0.1:{app.HttpsAddress.Port}")]; // :method GET, :scheme https, :path /, :authority
        var attack = Task.Run(async () =>
        {
            try
            {
                for (uint stream = 1; stream < 20_000; stream += 2)
                {
                    await tls.WriteAsync(Frame(Headers, 0x4 | 0x1, stream, block)); // END_HEADERS | END_STREAM
                    await tls.WriteAsync(Frame(RstStream, 0, stream, [0, 0, 0, 8]));
                }
            }
            catch (IOException)
            {
                // The server closed the connection: the attack is over.
            }
        });

        using var other = app.CreateTlsClient(HttpVersion.Version20);
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync("/")).StatusCode); // served while the attack runs

        // The server answers with GOAWAY and then closes. While the attacker is still writing, the close can arrive as a
        // reset, which may discard the GOAWAY before the client reads it; either way the connection ends (a server that
        // let the loop go on would keep it open, and this wait would fail).
        await ReadUntilGoAwayAsync(tls).Within("the server answers the stream-reset loop with GOAWAY or ends its connection");
        await attack.Within("the attacking loop is over");
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync("/")).StatusCode);
    }

    // Reads frames until a GOAWAY (returns its error code) or the end of the connection (null).
    private static async Task<uint?> ReadUntilGoAwayAsync(Stream tls)
    {
        var header = new byte[9];
        while (true)
        {
            try
            {
                await tls.ReadExactlyAsync(header);
            }
            catch (Exception ex) when (ex is EndOfStreamException or IOException)
            {
                return null;
            }
            int length = header[0] << 16 | header[1] << 8 | header[2];
            var payload = new byte[length];
            await tls.ReadExactlyAsync(payload);
            if (header[3] == GoAway) return BinaryPrimitives.ReadUInt32BigEndian(payload.AsSpan(4, 4));
        }
    }

    private static byte[] Frame(byte type, byte flags, uint stream, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[9 + payload.Length];
        frame[0] = (byte)(payload.Length >> 16);
        frame[1] = (byte)(payload.Length >> 8);
        frame[2] = (byte)payload.Length;
        frame[3] = type;
        frame[4] = flags;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(5), stream & 0x7FFFFFFF);
        payload.CopyTo(frame.AsSpan(9));
        return frame;
    }

    // HPACK literal header field without indexing, name from the static table (RFC 7541 §6.2.2), value not Huffman-coded.
    private static byte[] Literal(byte staticIndex, string value) => [staticIndex, (byte)value.Length, .. Encoding.ASCII.GetBytes(value)];
}
