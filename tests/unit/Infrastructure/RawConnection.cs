using System.Net.Sockets;
using System.Text;

namespace PushCompare.UnitTests.Infrastructure;

/// <summary>How the server ended a TCP connection, as the peer sees it.</summary>
public enum TcpEnd
{
    /// <summary>End of stream (the server's FIN) and no reset with or before it.</summary>
    Fin,
    /// <summary>The connection was reset (RST), before or right after the FIN.</summary>
    Reset,
}

/// <summary>A bare TCP connection to the Kestrel-hosted app: the test writes and reads the exact bytes of the wire.</summary>
public sealed class RawConnection : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly CancellationTokenSource _deadline = new(Eventually.DefaultDeadline);

    private RawConnection(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
    }

    /// <param name="receiveBufferSize">The socket's receive buffer (set before connecting, so the TCP window is small too).</param>
    public static async Task<RawConnection> OpenAsync(Uri address, int? receiveBufferSize = null)
    {
        var tcp = new TcpClient(address.HostNameType == UriHostNameType.IPv6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork);
        if (receiveBufferSize is { } size) tcp.ReceiveBufferSize = size;
        await tcp.ConnectAsync(address.Host.Trim('[', ']'), address.Port);
        return new RawConnection(tcp);
    }

    /// <summary>Opens a connection and upgrades it to a WebSocket on <paramref name="pathAndQuery"/>; asserts the 101.</summary>
    public static async Task<RawConnection> OpenWebSocketAsync(Uri address, string pathAndQuery = "/ws", int? receiveBufferSize = null) =>
        (await OpenWebSocketWithHeadAsync(address, pathAndQuery, receiveBufferSize)).Connection;

    /// <summary>As <see cref="OpenWebSocketAsync"/>, with extra request header lines (e.g. an extension offer), returning the 101's head too.</summary>
    public static async Task<(RawConnection Connection, string Head)> OpenWebSocketWithHeadAsync(Uri address, string pathAndQuery = "/ws",
        int? receiveBufferSize = null, string extraHeaders = "")
    {
        var raw = await OpenAsync(address, receiveBufferSize);
        await raw.WriteAsync($"GET {pathAndQuery} HTTP/1.1\r\nHost: {address.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                             $"Sec-WebSocket-Key: f7cb4ezEAl6C3wRaU6JORA==\r\nSec-WebSocket-Version: 13\r\n{extraHeaders}\r\n");
        var head = await raw.ReadHttpHeadAsync();
        Assert.True(head.StartsWith("HTTP/1.1 101 ", StringComparison.Ordinal), $"expected a 101, got: {head}");
        return (raw, head);
    }

    public ValueTask WriteAsync(ReadOnlyMemory<byte> bytes) => _stream.WriteAsync(bytes, _deadline.Token);

    public ValueTask WriteAsync(string ascii) => WriteAsync(Encoding.ASCII.GetBytes(ascii));

    /// <summary>Reads the HTTP response head byte by byte, so no byte of the first frame after it is consumed.</summary>
    public async Task<string> ReadHttpHeadAsync()
    {
        var head = new List<byte>();
        while (head.Count < 4 || !head.TakeLast(4).SequenceEqual("\r\n\r\n"u8.ToArray()))
            head.Add((await ReadExactlyAsync(1))[0]);
        return Encoding.ASCII.GetString(head.ToArray());
    }

    public async Task<byte[]> ReadExactlyAsync(int count)
    {
        var bytes = new byte[count];
        await _stream.ReadExactlyAsync(bytes, _deadline.Token);
        return bytes;
    }

    /// <summary>Reads one server frame (unmasked, RFC 6455 §5.2).</summary>
    public async Task<ServerFrame> ReadFrameAsync()
    {
        var header = await ReadExactlyAsync(2);
        Assert.True((header[1] & 0x80) == 0, "server frames must not be masked");
        long length = header[1] & 0x7F;
        if (length == 126) length = (long)System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(await ReadExactlyAsync(2));
        else if (length == 127) length = (long)System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(await ReadExactlyAsync(8));
        return new ServerFrame((header[0] & 0x80) != 0, header[0] & 0x0F, await ReadExactlyAsync(checked((int)length)), (header[0] & 0x40) != 0);
    }

    /// <summary>True when the server has closed the TCP connection (the next read returns end of stream).</summary>
    public async Task<bool> IsClosedByServerAsync()
    {
        try
        {
            return await _stream.ReadAsync(new byte[1], _deadline.Token) == 0;
        }
        catch (IOException)
        {
            return true; // reset by the server: closed as well
        }
    }

    /// <summary>
    /// Waits for the server to end the connection and says how: a clean FIN or a reset. Any byte that arrives instead
    /// fails the test. Linux keeps answering reads with 0 once the FIN is in, even if a reset follows it (Kestrel sends
    /// FIN and RST back to back when it closes with unread data), so the socket's pending error is checked as well.
    /// </summary>
    /// <param name="within">A bound of the test's own, when how soon the end comes is the behaviour under test (e.g. far below a close timeout).</param>
    public async Task<TcpEnd> ReadEndAsync(TimeSpan? within = null)
    {
        var one = new byte[1];
        int read;
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(_deadline.Token);
        if (within is { } limit) bound.CancelAfter(limit);
        try
        {
            read = await _stream.ReadAsync(one, bound.Token);
        }
        catch (IOException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionReset })
        {
            return TcpEnd.Reset;
        }
        catch (OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException($"The server did not end the TCP connection within {within ?? Eventually.DefaultDeadline}.");
        }
        if (read > 0) throw new Xunit.Sdk.XunitException($"Expected the connection to end; the server sent byte 0x{one[0]:X2}.");
        var pending = (SocketError)(int)_tcp.Client.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error)!;
        return pending == SocketError.Success ? TcpEnd.Fin : TcpEnd.Reset;
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _tcp.Dispose();
        _deadline.Dispose();
    }
}

/// <summary>A frame as the server sent it.</summary>
/// <param name="Rsv1">RSV1: the message is compressed (permessage-deflate, RFC 7692 §6).</param>
public sealed record ServerFrame(bool Fin, int Opcode, byte[] Payload, bool Rsv1 = false)
{
    public const int Text = 0x1, Binary = 0x2, Close = 0x8, Ping = 0x9, Pong = 0xA;

    /// <summary>The status code of a close frame (RFC 6455 §5.5.1), or null when it carries none.</summary>
    public int? CloseCode => Opcode == Close && Payload.Length >= 2 ? (Payload[0] << 8) | Payload[1] : null;
}

/// <summary>Client frames built by hand (RFC 6455 §5.2), so tests can also send what a conforming client never would.</summary>
public static class ClientFrame
{
    private static readonly byte[] Mask = [0x37, 0xFA, 0x21, 0x3D];

    /// <param name="rsv1">Marks the message compressed (RFC 7692 §6): only on its first frame.</param>
    public static byte[] Build(int opcode, ReadOnlySpan<byte> payload, bool masked = true, bool fin = true, bool rsv1 = false)
    {
        var frame = new List<byte> { (byte)((fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode) };
        byte maskBit = masked ? (byte)0x80 : (byte)0;
        if (payload.Length < 126) frame.Add((byte)(maskBit | payload.Length));
        else if (payload.Length <= ushort.MaxValue) frame.AddRange([(byte)(maskBit | 126), (byte)(payload.Length >> 8), (byte)payload.Length]);
        else
        {
            frame.Add((byte)(maskBit | 127));
            for (int shift = 56; shift >= 0; shift -= 8) frame.Add((byte)((long)payload.Length >> shift));
        }
        if (masked) frame.AddRange(Mask);
        for (int i = 0; i < payload.Length; i++) frame.Add(masked ? (byte)(payload[i] ^ Mask[i % 4]) : payload[i]);
        return frame.ToArray();
    }

    /// <summary>A close frame carrying <paramref name="code"/> (masked, as a client sends it).</summary>
    public static byte[] Close(int code) => Build(ServerFrame.Close, [(byte)(code >> 8), (byte)code]);
}
