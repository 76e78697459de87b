using System.Net.Sockets;

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

    private sealed class CountingStream(Stream inner) : Stream
    {
        private long _read, _written;

        public long BytesRead => Interlocked.Read(ref _read);
        public long BytesWritten => Interlocked.Read(ref _written);

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Counted(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Counted(await inner.ReadAsync(buffer, cancellationToken));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int count)
        {
            inner.Write(buffer, offset, count);
            Interlocked.Add(ref _written, count);
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await inner.WriteAsync(buffer, cancellationToken);
            Interlocked.Add(ref _written, buffer.Length);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush() => inner.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }

        private int Counted(int read)
        {
            Interlocked.Add(ref _read, read);
            return read;
        }
    }
}
