using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace PushCompare.UnitTests.Links;

/// <summary>A bare TCP server on a free loopback port standing for the app behind a link: each connection is served by a handler.</summary>
public sealed class TcpPeer : IAsyncDisposable
{
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly Task _accepting;
    private readonly List<Task> _served = [];

    public TcpPeer(Func<Socket, Task> serve)
    {
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen();
        _accepting = Task.Run(async () =>
        {
            while (true)
            {
                Socket socket;
                try
                {
                    socket = await _listener.AcceptAsync();
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    return;
                }
                lock (_served) _served.Add(Task.Run(async () =>
                {
                    using (socket)
                    {
                        try
                        {
                            await serve(socket);
                        }
                        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
                        {
                            // The link cut the connection (it is disposed at the end of each test): what the tests
                            // check is what the client and the handler saw before.
                        }
                    }
                }));
            }
        });
    }

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndPoint!;

    /// <summary>Sends back what it reads until the end of the stream, then ends its side.</summary>
    public static TcpPeer Echo() => new(async socket =>
    {
        var buffer = new byte[64 * 1024];
        int read;
        while ((read = await socket.ReceiveAsync(buffer)) > 0) await socket.SendAsync(buffer.AsMemory(0, read));
        socket.Shutdown(SocketShutdown.Send);
    });

    /// <summary>Reads to the end of the stream, noting when (Stopwatch timestamp) how many bytes had arrived in all.</summary>
    public static TcpPeer Sink(Arrivals arrivals) => new(async socket =>
    {
        var buffer = new byte[64 * 1024];
        int read;
        while ((read = await socket.ReceiveAsync(buffer)) > 0) arrivals.Add(Stopwatch.GetTimestamp(), read);
    });

    public async ValueTask DisposeAsync()
    {
        _listener.Dispose();
        await _accepting;
        Task[] served;
        lock (_served) served = [.. _served];
        await Task.WhenAll(served);
    }
}

/// <summary>Bytes as they arrive, from any number of connections: (Stopwatch timestamp, bytes in all so far).</summary>
public sealed class Arrivals
{
    private readonly List<(long At, long Total)> _points = [];
    private long _total;

    public void Add(long at, int bytes)
    {
        lock (_points) _points.Add((at, _total += bytes));
    }

    public long Total
    {
        get { lock (_points) return _total; }
    }

    public IReadOnlyList<(long At, long Total)> Points
    {
        get { lock (_points) return [.. _points]; }
    }
}
