using System.Buffers;
using System.Buffers.Text;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using PushCompare.Bench.Metrics;

namespace PushCompare.Bench.Clients.Raw;

/// <summary>
/// One client's own HTTP/1.1 keep-alive connection, without HttpClient: requests are written by hand into a pooled
/// buffer (request line, Host, Content-Length: 0 on a POST, nothing else) and responses parsed by
/// <see cref="HttpResponseParser"/>. Opened through <see cref="SocketFactory"/> and <see cref="CountingStream"/>, as
/// HttpClient's connections are, so byte counts and source addresses stay comparable. One request at a time.
/// </summary>
internal sealed class RawHttpConnection(Uri baseUri, TrafficMeter traffic) : IAsyncDisposable
{
    private const int InitialBuffer = 2048;
    private readonly byte[] _host = Encoding.ASCII.GetBytes(baseUri.Authority);
    private byte[] _request = ArrayPool<byte>.Shared.Rent(512);
    private int _requestLength;
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(InitialBuffer);
    private int _start, _end;
    private int _bodyOffset, _bodyLength;
    private CountingStream? _stream;
    private bool _reconnect;

    public int Status { get; private set; }

    /// <summary>The last response's body (de-chunked); valid until the next request.</summary>
    public ReadOnlySpan<byte> Body => _buffer.AsSpan(_bodyOffset, _bodyLength);

    /// <summary>Starts a request: <paramref name="methodAndPath"/> is e.g. "GET /poll/"; append the rest of the target.</summary>
    public RawHttpConnection Begin(ReadOnlySpan<byte> methodAndPath)
    {
        _requestLength = 0;
        return Append(methodAndPath);
    }

    public RawHttpConnection Append(ReadOnlySpan<byte> bytes)
    {
        Reserve(bytes.Length);
        bytes.CopyTo(_request.AsSpan(_requestLength));
        _requestLength += bytes.Length;
        return this;
    }

    public RawHttpConnection Append(long number)
    {
        Reserve(20);
        Utf8Formatter.TryFormat(number, _request.AsSpan(_requestLength), out int written);
        _requestLength += written;
        return this;
    }

    /// <summary>Ends the head (with Content-Length: 0 for a body-less POST), sends it and reads the whole response.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> SendAsync(bool emptyBody, CancellationToken cancel)
    {
        Append(" HTTP/1.1\r\nHost: "u8).Append(_host).Append("\r\n"u8);
        if (emptyBody) Append("Content-Length: 0\r\n"u8);
        Append("\r\n"u8);
        if (_stream is null || _reconnect) await ConnectAsync(cancel).ConfigureAwait(false);
        await _stream!.WriteAsync(_request.AsMemory(0, _requestLength), cancel).ConfigureAwait(false);
        await ReadResponseAsync(cancel).ConfigureAwait(false);
        return Status;
    }

    private async ValueTask ConnectAsync(CancellationToken cancel)
    {
        if (_stream is not null) await _stream.DisposeAsync().ConfigureAwait(false);
        _stream = null;
        _start = _end = 0;
        _reconnect = false;
        var endPoint = new DnsEndPoint(baseUri.IdnHost, baseUri.Port);
        var counted = new CountingStream(await SocketFactory.ConnectAsync(endPoint, cancel).ConfigureAwait(false));
        traffic.Add(counted);
        _stream = counted;
    }

    private async ValueTask ReadResponseAsync(CancellationToken cancel)
    {
        while (true)
        {
            if (_end > _start && HttpResponseParser.TryParse(_buffer.AsSpan(_start, _end - _start), out var response))
            {
                Status = response.Status;
                _bodyOffset = _start + response.BodyOffset;
                _bodyLength = response.BodyLength;
                _start += response.Consumed;
                // Kestrel may close after this response; the next request then opens a new connection, as HttpClient would.
                _reconnect = response.Close;
                return;
            }
            MakeRoom();
            int n = await _stream!.ReadAsync(_buffer.AsMemory(_end), cancel).ConfigureAwait(false);
            if (n == 0)
            {
                _reconnect = true;
                throw new IOException("the server closed the connection before a complete response");
            }
            _end += n;
        }
    }

    /// <summary>Moves unparsed bytes to the front, and doubles the buffer when it is full of one response.</summary>
    private void MakeRoom()
    {
        if (_start == _end) _start = _end = 0;
        if (_end < _buffer.Length) return;
        int length = _end - _start;
        byte[] target = _start > 0 ? _buffer : ArrayPool<byte>.Shared.Rent(_buffer.Length * 2);
        _buffer.AsSpan(_start, length).CopyTo(target);
        if (target != _buffer)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = target;
        }
        _start = 0;
        _end = length;
    }

    private void Reserve(int bytes)
    {
        if (_requestLength + bytes <= _request.Length) return;
        byte[] larger = ArrayPool<byte>.Shared.Rent((_requestLength + bytes) * 2);
        _request.AsSpan(0, _requestLength).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(_request);
        _request = larger;
    }

    public async ValueTask DisposeAsync()
    {
        if (_stream is not null) await _stream.DisposeAsync().ConfigureAwait(false);
        _stream = null;
        ArrayPool<byte>.Shared.Return(_buffer);
        ArrayPool<byte>.Shared.Return(_request);
        _buffer = _request = [];
    }
}
