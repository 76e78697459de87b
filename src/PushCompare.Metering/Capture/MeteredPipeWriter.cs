using System.IO.Pipelines;

namespace PushCompare.Metering;

/// <summary>Counts the bytes Kestrel writes to the connection (each Advance and WriteAsync), without copying them.</summary>
internal sealed class MeteredPipeWriter(PipeWriter inner, IByteTap meter) : PipeWriter
{
    private Memory<byte> _memory; // the unwritten rest of the latest buffer handed out; Advance(n) wrote its first n bytes

    public override Memory<byte> GetMemory(int sizeHint = 0) => _memory = inner.GetMemory(sizeHint);

    public override Span<byte> GetSpan(int sizeHint = 0) => (_memory = inner.GetMemory(sizeHint)).Span;

    public override void Advance(int bytes)
    {
        if (bytes > 0 && bytes <= _memory.Length)
        {
            meter.OnWritten(_memory.Span[..bytes]);
            _memory = _memory[bytes..]; // Kestrel's BufferWriter keeps writing into the rest of the same span after a commit
        }
        else if (bytes > 0)
        {
            meter.OnWritten(bytes); // counted, but its content was not seen (never expected)
            _memory = default;
        }
        inner.Advance(bytes);
    }

    public override ValueTask<FlushResult> WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
    {
        if (!source.IsEmpty) meter.OnWritten(source.Span);
        return inner.WriteAsync(source, cancellationToken);
    }

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);

    public override void CancelPendingFlush() => inner.CancelPendingFlush();

    public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

    public override long UnflushedBytes => inner.UnflushedBytes;

    public override void Complete(Exception? exception = null) => inner.Complete(exception);

    public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);
}
