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
/// HttpClient's connections are, so byte counts and source addresses stay comparable. One request at a time. A
/// streamed response (an SSE stream) is read as it arrives and ends the connection's use for requests.
/// </summary>
/// <remarks>With <paramref name="tls"/> each connection is TLS (ALPN http/1.1) opened by <see cref="HttpStack.ConnectTlsAsync"/>:
/// the same requests, counted above TLS as the HTTP layer and below it as the wire.</remarks>
internal sealed class RawHttpConnection(Uri baseUri, TrafficMeter traffic, bool tls = false) : IAsyncDisposable
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
    private bool _streaming;

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
    public ValueTask<int> SendAsync(bool emptyBody, CancellationToken cancel)
    {
        EndRequestLine();
        if (emptyBody) Append("Content-Length: 0\r\n"u8);
        Append("\r\n"u8);
        return SendPreparedAsync(cancel);
    }

    /// <summary>Ends the request line and writes Host; the caller appends its own headers, the blank line and any body.</summary>
    public RawHttpConnection EndRequestLine() => Append(" HTTP/1.1\r\nHost: "u8).Append(_host).Append("\r\n"u8);

    /// <summary>Sends the request exactly as appended (head, blank line, body) and reads the whole response.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> SendPreparedAsync(CancellationToken cancel)
    {
        await WriteRequestAsync(streamed: false, cancel).ConfigureAwait(false);
        return Status;
    }

    /// <summary>
    /// Sends the request as appended and reads only the response head. A 200 <c>text/event-stream</c> response then
    /// streams: <see cref="ReadStreamAsync"/> hands over its body as it arrives, and the connection is never reused
    /// for another request. Any other response is read whole (<see cref="Body"/>) as usual.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<ResponseHead> SendForStreamAsync(CancellationToken cancel)
    {
        await WriteRequestAsync(streamed: true, cancel).ConfigureAwait(false);
        return StreamHead;
    }

    /// <summary>The head of the response <see cref="SendForStreamAsync"/> read.</summary>
    public ResponseHead StreamHead { get; private set; }

    /// <summary>The connection's current socket stream (a new one after a reconnect), for its byte counts.</summary>
    public CountingStream? Connection => _stream;

    /// <summary>Bytes read from the socket and not handed over yet (after a streamed head: the body's first bytes).</summary>
    public int BufferedBytes => _end - _start;

    /// <summary>Closes the socket, so a pending read ends; the buffers stay until <see cref="DisposeAsync"/>.</summary>
    public void Abort() => _stream?.Dispose();

    /// <summary>Closes the connection between requests; the next request opens a new one.</summary>
    public async ValueTask CloseConnectionAsync()
    {
        if (_stream is not null) await _stream.DisposeAsync().ConfigureAwait(false);
        _stream = null;
        _start = _end = 0;
        _streaming = false;
    }

    /// <summary>
    /// The next bytes of a streamed body: first what arrived with the head, then one socket read at a time. Empty when
    /// the server closed the connection. Valid until the next call.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<ReadOnlyMemory<byte>> ReadStreamAsync(CancellationToken cancel)
    {
        if (!_streaming) throw new InvalidOperationException("no streamed response is open on this connection");
        if (_end > _start)
        {
            var buffered = _buffer.AsMemory(_start, _end - _start);
            _start = _end = 0;
            return buffered;
        }
        int n = await _stream!.ReadAsync(_buffer.AsMemory(), cancel).ConfigureAwait(false);
        return _buffer.AsMemory(0, n);
    }

    /// <summary>
    /// Writes the request and reads its response (or, streamed, its head). A keep-alive connection the server closed
    /// while it sat idle (its keep-alive timeout) fails before any response byte: the request is sent once more on a
    /// new connection, as HttpClient does; every request this bench sends is safe to repeat (numbered, or an ack).
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))] // completes asynchronously per request: must not allocate
    private async ValueTask WriteRequestAsync(bool streamed, CancellationToken cancel)
    {
        bool reused = _stream is not null && !_reconnect;
        if (!reused) await ConnectAsync(cancel).ConfigureAwait(false);
        try
        {
            await _stream!.WriteAsync(_request.AsMemory(0, _requestLength), cancel).ConfigureAwait(false);
            await ReadResponseAsync(streamed, cancel).ConfigureAwait(false);
        }
        catch (IOException) when (reused && _end == _start && !cancel.IsCancellationRequested)
        {
            await ConnectAsync(cancel).ConfigureAwait(false);
            await _stream!.WriteAsync(_request.AsMemory(0, _requestLength), cancel).ConfigureAwait(false);
            await ReadResponseAsync(streamed, cancel).ConfigureAwait(false);
        }
    }

    private async ValueTask ConnectAsync(CancellationToken cancel)
    {
        if (_stream is not null) await _stream.DisposeAsync().ConfigureAwait(false);
        _stream = null;
        _start = _end = 0;
        _reconnect = false;
        _streaming = false;
        if (tls)
        {
            _stream = await HttpStack.ConnectTlsAsync(baseUri, traffic, cancel).ConfigureAwait(false);
            return;
        }
        var endPoint = new DnsEndPoint(baseUri.IdnHost, baseUri.Port);
        var counted = new CountingStream(await SocketFactory.ConnectAsync(endPoint, cancel).ConfigureAwait(false));
        traffic.Add(counted);
        _stream = counted;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ReadResponseAsync(bool streamed, CancellationToken cancel)
    {
        if (_streaming) throw new InvalidOperationException("a streamed response holds this connection");
        while (true)
        {
            if (_end > _start)
            {
                var data = _buffer.AsSpan(_start, _end - _start);
                if (streamed && HttpResponseParser.TryParseHead(data, out var head))
                {
                    StreamHead = head;
                    if (head.Status == 200 && head.EventStream)
                    {
                        Status = head.Status;
                        _bodyOffset = _bodyLength = 0;
                        _start += head.Length;
                        // The body never ends while the stream is open; the connection is never reused after it.
                        _streaming = _reconnect = true;
                        return;
                    }
                }
                if (HttpResponseParser.TryParse(data, out var response))
                {
                    Status = response.Status;
                    _bodyOffset = _start + response.BodyOffset;
                    _bodyLength = response.BodyLength;
                    _start += response.Consumed;
                    // Kestrel may close after this response; the next request then opens a new connection, as HttpClient would.
                    _reconnect = response.Close;
                    return;
                }
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
        if (_buffer.Length == 0) return; // disposed already
        ArrayPool<byte>.Shared.Return(_buffer);
        ArrayPool<byte>.Shared.Return(_request);
        _buffer = _request = [];
    }
}
