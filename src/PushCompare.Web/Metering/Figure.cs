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
    LatencyCount,
    LatencySumMicroseconds,
}

/// <summary>
/// Monotonic totals updated with Interlocked adds (no locks, no allocation). A reset never clears them: it records a
/// baseline, so an add racing the reset is never lost and the observable instruments stay monotonic.
/// </summary>
internal sealed class WireCounters
{
    public const int Count = (int)Figure.LatencySumMicroseconds + 1;

    private readonly long[] _totals = new long[Count];
    private static readonly long[] Zero = new long[Count]; // never written: the baseline of a meter never reset
    private long[] _baseline = Zero;

    public void Add(Figure figure, long amount) => Interlocked.Add(ref _totals[(int)figure], amount);

    public void Increment(Figure figure) => Interlocked.Increment(ref _totals[(int)figure]);

    /// <summary>Total since the process started (what the metrics instruments publish).</summary>
    public long Lifetime(Figure figure) => Volatile.Read(ref _totals[(int)figure]);

    /// <summary>Figures since the last reset.</summary>
    public long[] SinceReset()
    {
        var baseline = Volatile.Read(ref _baseline);
        var result = new long[Count];
        for (int i = 0; i < Count; i++) result[i] = Volatile.Read(ref _totals[i]) - baseline[i];
        return result;
    }

    public void Reset()
    {
        var baseline = new long[Count];
        for (int i = 0; i < Count; i++) baseline[i] = Volatile.Read(ref _totals[i]);
        Volatile.Write(ref _baseline, baseline);
    }
}
