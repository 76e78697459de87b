using System.Buffers;
using System.Runtime.CompilerServices;

namespace PushCompare.Bench.Metrics;

/// <summary>
/// Wraps a connection's socket stream and counts every byte read and written (TCP payload: HTTP headers, bodies,
/// WebSocket frames; not TCP/IP headers). For a WebSocket connection it also splits each direction into the HTTP
/// upgrade head and RFC 6455 frames.
/// One reader and one writer at a time, as on any socket stream, so the counters are plain fields.
/// </summary>
internal sealed class CountingStream(Stream inner) : Stream
{
    private long _read;
    private long _written;
    private FrameMeter? _down;
    private FrameMeter? _up;

    public long BytesRead => Volatile.Read(ref _read);

    public long BytesWritten => Volatile.Read(ref _written);

    public FrameMeter? Down => Volatile.Read(ref _down);

    public FrameMeter? Up => Volatile.Read(ref _up);

    /// <summary>
    /// Meters a WebSocket connection from its first byte: the upgrade head, then frames. Call before the upgrade
    /// request is written. (Starting after the handshake missed frames that arrived in the same read as the 101.)
    /// </summary>
    public void MeterWebSocket()
    {
        Volatile.Write(ref _down, new FrameMeter(afterHttpHead: true));
        Volatile.Write(ref _up, new FrameMeter(afterHttpHead: true));
    }

    private void OnRead(ReadOnlySpan<byte> data)
    {
        Volatile.Write(ref _read, _read + data.Length);
        _down?.Feed(data);
    }

    private void OnWrite(ReadOnlySpan<byte> data)
    {
        Volatile.Write(ref _written, _written + data.Length);
        _up?.Feed(data);
    }

    // Pooled builder: a pending read completes asynchronously on every message, and this must not allocate per message.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int n = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        OnRead(buffer.Span[..n]);
        return n;
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        OnWrite(buffer.Span);
        if (!_corked) return inner.WriteAsync(buffer, cancellationToken);
        if (_pendingLength + buffer.Length > MaxCorkedBytes) return FlushThenKeepAsync(buffer, cancellationToken);
        Keep(buffer.Span);
        return ValueTask.CompletedTask;
    }

    // Corking: an open-loop client sends every message due in one pacer tick back to back; holding them here and
    // writing them with one write() saves a system call per message (same bytes on the wire, like TCP_CORK).
    private const int MaxCorkedBytes = 64 * 1024;
    private bool _corked;
    private byte[] _pending = [];
    private int _pendingLength;

    /// <summary>Holds writes until <see cref="UncorkAsync"/>; for one writer at a time, as every write here.</summary>
    public void Cork() => _corked = true;

    public ValueTask UncorkAsync(CancellationToken cancel)
    {
        _corked = false;
        if (_pendingLength == 0) return ValueTask.CompletedTask;
        int length = _pendingLength;
        _pendingLength = 0;
        return inner.WriteAsync(_pending.AsMemory(0, length), cancel);
    }

    private void Keep(ReadOnlySpan<byte> data)
    {
        if (_pending.Length < _pendingLength + data.Length)
        {
            byte[] larger = ArrayPool<byte>.Shared.Rent(Math.Max(4096, (_pendingLength + data.Length) * 2));
            _pending.AsSpan(0, _pendingLength).CopyTo(larger);
            if (_pending.Length > 0) ArrayPool<byte>.Shared.Return(_pending);
            _pending = larger;
        }
        data.CopyTo(_pending.AsSpan(_pendingLength));
        _pendingLength += data.Length;
    }

    private async ValueTask FlushThenKeepAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancel)
    {
        int length = _pendingLength;
        _pendingLength = 0;
        await inner.WriteAsync(_pending.AsMemory(0, length), cancel).ConfigureAwait(false);
        Keep(buffer.Span);
    }

    public override int Read(Span<byte> buffer)
    {
        int n = inner.Read(buffer);
        OnRead(buffer[..n]);
        return n;
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        OnWrite(buffer);
        inner.Write(buffer);
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override void Flush() => inner.Flush();

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }

    public override ValueTask DisposeAsync() => inner.DisposeAsync();
}
