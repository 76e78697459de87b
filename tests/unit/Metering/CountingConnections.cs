using System.Net.Sockets;
using PushCompare.UnitTests.Infrastructure;

namespace PushCompare.UnitTests.Metering;

/// <summary>A client-side view of the wire: every TCP connection the handler opens, with the exact bytes written to and read from it.</summary>
internal sealed class CountingConnections
{
    private readonly List<CountingStream> _streams = [];

    public int Count
    {
        get { lock (_streams) return _streams.Count; }
    }

    public long Written
    {
        get { lock (_streams) return _streams.Sum(s => s.BytesWritten); }
    }

    public long Read
    {
        get { lock (_streams) return _streams.Sum(s => s.BytesRead); }
    }

    /// <summary>A handler with one connection at most, so HTTP/1.1 requests share one keep-alive connection in order.</summary>
    public SocketsHttpHandler CreateHandler() => new()
    {
        MaxConnectionsPerServer = 1,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
        ConnectCallback = async (context, cancel) =>
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(context.DnsEndPoint, cancel);
            var stream = new CountingStream(new NetworkStream(socket, ownsSocket: true));
            lock (_streams) _streams.Add(stream);
            return stream;
        },
    };

    private sealed class CountingStream(Stream inner) : TappedStream(inner)
    {
        private long _read, _written;

        public long BytesRead => Interlocked.Read(ref _read);
        public long BytesWritten => Interlocked.Read(ref _written);

        protected override void OnRead(ReadOnlySpan<byte> bytes) => Interlocked.Add(ref _read, bytes.Length);

        protected override void OnWritten(ReadOnlySpan<byte> bytes) => Interlocked.Add(ref _written, bytes.Length);
    }
}
