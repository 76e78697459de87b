using System.Net.Sockets;
using System.Text;

namespace PushCompare.UnitTests.Infrastructure;

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

    public static async Task<RawConnection> OpenAsync(Uri address)
    {
        var tcp = new TcpClient(address.HostNameType == UriHostNameType.IPv6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork);
        await tcp.ConnectAsync(address.Host.Trim('[', ']'), address.Port);
        return new RawConnection(tcp);
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

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _tcp.Dispose();
        _deadline.Dispose();
    }
}
