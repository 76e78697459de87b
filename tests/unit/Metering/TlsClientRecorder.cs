using System.Net.Security;
using System.Net.Sockets;
using PushCompare.UnitTests.Infrastructure;

namespace PushCompare.UnitTests.Metering;

/// <summary>
/// The client's view of TLS connections, at both layers: every byte written to and read from the TCP socket (below
/// the client's SslStream), every decrypted byte (above it, through SocketsHttpHandler's PlaintextStreamFilter), and
/// the TCP bytes each way when the handshake completed.
/// </summary>
internal sealed class TlsClientRecorder
{
    private readonly Lock _lock = new();
    private readonly RecordingStream.Log _tcp = new(), _plain = new();
    private long _handshakeWritten, _handshakeRead;

    public long TcpWritten => _tcp.Written;
    public long TcpRead => _tcp.Read;
    public byte[] PlainWritten => _plain.WrittenBytes();
    public byte[] PlainRead => _plain.ReadBytes();

    public long HandshakeWritten
    {
        get { lock (_lock) return _handshakeWritten; }
    }

    public long HandshakeRead
    {
        get { lock (_lock) return _handshakeRead; }
    }

    /// <summary>A handler with one connection at most, accepting the test certificate.</summary>
    public SocketsHttpHandler CreateHandler() => new()
    {
        MaxConnectionsPerServer = 1,
        EnableMultipleHttp2Connections = false,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
        SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, _, _, _) => true },
        ConnectCallback = async (context, cancel) =>
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(context.DnsEndPoint, cancel);
            return new RecordingStream(new NetworkStream(socket, ownsSocket: true), _tcp);
        },
        PlaintextStreamFilter = (context, _) =>
        {
            // Called once TLS is established, before the first HTTP byte: what crossed TCP until now is the handshake.
            lock (_lock) (_handshakeWritten, _handshakeRead) = (_tcp.Written, _tcp.Read);
            return ValueTask.FromResult<Stream>(new RecordingStream(context.PlaintextStream, _plain));
        },
    };

    private sealed class RecordingStream(Stream inner, RecordingStream.Log log) : TappedStream(inner)
    {
        public sealed class Log
        {
            private readonly MemoryStream _written = new(), _read = new();

            public long Written
            {
                get { lock (this) return _written.Length; }
            }

            public long Read
            {
                get { lock (this) return _read.Length; }
            }

            public byte[] WrittenBytes()
            {
                lock (this) return _written.ToArray();
            }

            public byte[] ReadBytes()
            {
                lock (this) return _read.ToArray();
            }

            public void Wrote(ReadOnlySpan<byte> bytes)
            {
                lock (this) _written.Write(bytes);
            }

            public void Got(ReadOnlySpan<byte> bytes)
            {
                lock (this) _read.Write(bytes);
            }
        }

        protected override void OnRead(ReadOnlySpan<byte> bytes) => log.Got(bytes);

        protected override void OnWritten(ReadOnlySpan<byte> bytes) => log.Wrote(bytes);
    }
}

/// <summary>An independent, whole-buffer HTTP/2 frame split of bytes a client recorded (RFC 9113 §4.1): bytes per stream.</summary>
internal static class Http2Split
{
    public const int PrefaceLength = 24;

    /// <summary>Bytes of each stream in <paramref name="bytes"/> (0: stream-0 frames and, when sent by the client, the preface), in order of first appearance.</summary>
    public static List<(int Stream, long Bytes)> ByStream(byte[] bytes, bool clientPreface)
    {
        var result = new List<(int Stream, long Bytes)>();
        void Add(int stream, long n)
        {
            int i = result.FindIndex(r => r.Stream == stream);
            if (i < 0) result.Add((stream, n));
            else result[i] = (stream, result[i].Bytes + n);
        }
        int at = 0;
        if (clientPreface)
        {
            Add(0, PrefaceLength);
            at = PrefaceLength;
        }
        while (at < bytes.Length)
        {
            int length = bytes[at] << 16 | bytes[at + 1] << 8 | bytes[at + 2];
            int stream = (bytes[at + 5] & 0x7F) << 24 | bytes[at + 6] << 16 | bytes[at + 7] << 8 | bytes[at + 8];
            Add(stream, 9 + length);
            at += 9 + length;
        }
        Assert.Equal(bytes.Length, at); // whole frames only
        return result;
    }
}
