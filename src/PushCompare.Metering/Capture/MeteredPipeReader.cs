using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;

namespace PushCompare.Metering;

/// <summary>
/// Counts the bytes Kestrel consumes from the connection (the consumed position of each AdvanceTo), never copying
/// them and allocating nothing per read (a pending read completes through a pooled async builder).
/// </summary>
internal sealed class MeteredPipeReader(PipeReader inner, IByteTap meter) : PipeReader
{
    private ReadOnlySequence<byte> _buffer; // the buffer of the latest read, which AdvanceTo positions refer to

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        var read = inner.ReadAsync(cancellationToken);
        if (!read.IsCompletedSuccessfully) return Awaited(read);
        var result = read.Result;
        _buffer = result.Buffer;
        return new ValueTask<ReadResult>(result);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ReadResult> Awaited(ValueTask<ReadResult> read)
    {
        var result = await read.ConfigureAwait(false);
        _buffer = result.Buffer;
        return result;
    }

    public override bool TryRead(out ReadResult result)
    {
        if (!inner.TryRead(out result)) return false;
        _buffer = result.Buffer;
        return true;
    }

    public override void AdvanceTo(SequencePosition consumed)
    {
        Count(consumed);
        inner.AdvanceTo(consumed);
    }

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        Count(consumed);
        inner.AdvanceTo(consumed, examined);
    }

    private void Count(SequencePosition consumed)
    {
        var buffer = _buffer;
        _buffer = default;
        if (buffer.IsEmpty) return;
        var used = buffer.Slice(buffer.Start, consumed);
        if (!used.IsEmpty) meter.OnConsumed(used);
    }

    public override void CancelPendingRead() => inner.CancelPendingRead();

    public override void Complete(Exception? exception = null) => inner.Complete(exception);

    public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);
}
