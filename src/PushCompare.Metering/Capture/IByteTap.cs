using System.Buffers;

namespace PushCompare.Metering;

/// <summary>What a metered pipe reports: bytes Kestrel consumed (AdvanceTo) and bytes it wrote, in wire order.</summary>
internal interface IByteTap
{
    void OnConsumed(in ReadOnlySequence<byte> consumed);

    void OnWritten(ReadOnlySpan<byte> written);

    /// <summary>Bytes whose content the writer could not see (never expected).</summary>
    void OnWritten(int count);
}
