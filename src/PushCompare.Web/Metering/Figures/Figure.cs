namespace PushCompare.Web.Metering;

/// <summary>The additive figures kept for each transport and each session (indexes into <see cref="WireCounters"/>).</summary>
internal enum Figure
{
    Requests,
    BytesIn,
    BytesOut,
    MessagesIn,
    MessagesOut,
    MessagesResent,
    PayloadBytesIn,
    PayloadBytesOut,
    FramesIn,
    FramesOut,
    ControlFramesIn,
    ControlFramesOut,
    FrameHeaderBytesIn,
    FrameHeaderBytesOut,
    FramePayloadBytesIn,
    FramePayloadBytesOut,
    CompressedMessagesIn,
    CompressedMessagesOut,
    LatencyCount,
    LatencySumMicroseconds,
}

/// <summary>
/// Monotonic totals updated with Interlocked adds (no locks, no allocation). A reset never clears them: it records a
/// baseline, so an add racing the reset is never lost and the observable instruments stay monotonic.
/// Transport totals are written by every connection at once, so they keep one stripe per core (whole cache lines
/// apart): cores stop fighting over the same lines. A session's counters have one or two writers and one stripe.
/// </summary>
internal sealed class WireCounters
{
    public const int Count = (int)Figure.LatencySumMicroseconds + 1;
    private const int PaddedStride = (Count + 7) / 8 * 8 + 8; // whole 64-byte lines plus one line between stripes

    private static readonly long[] Zero = new long[Count]; // never written: the baseline of a meter never reset
    private readonly long[] _totals;
    private readonly int _stripes, _stride;
    private long[] _baseline = Zero;

    public WireCounters(int stripes = 1)
    {
        _stripes = stripes;
        _stride = stripes == 1 ? Count : PaddedStride;
        _totals = new long[stripes * _stride];
    }

    private int Stripe => _stripes == 1 ? 0 : Thread.GetCurrentProcessorId() % _stripes * _stride;

    public void Add(Figure figure, long amount) => Interlocked.Add(ref _totals[Stripe + (int)figure], amount);

    public void Increment(Figure figure) => Interlocked.Increment(ref _totals[Stripe + (int)figure]);

    /// <summary>Total since the process started (what the metrics instruments publish).</summary>
    public long Lifetime(Figure figure)
    {
        long sum = 0;
        for (int s = 0; s < _stripes; s++) sum += Volatile.Read(ref _totals[s * _stride + (int)figure]);
        return sum;
    }

    /// <summary>Figures since the last reset.</summary>
    public long[] SinceReset()
    {
        var baseline = Volatile.Read(ref _baseline);
        var result = new long[Count];
        for (int i = 0; i < Count; i++) result[i] = Lifetime((Figure)i) - baseline[i];
        return result;
    }

    public void Reset()
    {
        var baseline = new long[Count];
        for (int i = 0; i < Count; i++) baseline[i] = Lifetime((Figure)i);
        Volatile.Write(ref _baseline, baseline);
    }
}
