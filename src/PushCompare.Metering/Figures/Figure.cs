namespace PushCompare.Metering;

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
    TlsRecordBytesIn,
    TlsRecordBytesOut,
    LatencyCount,
    LatencySumMicroseconds,
}

/// <summary>
/// Figures of connections rather than requests, kept per transport only (the transport of the connection's first
/// claimed request owns them): the TLS handshake, HTTP/2 stream-0 frames, and requests by protocol over TLS.
/// </summary>
internal enum ConnectionFigure
{
    TlsHandshakeBytesIn,
    TlsHandshakeBytesOut,
    Http2ConnectionBytesIn,
    Http2ConnectionBytesOut,
    Http11TlsRequests,
    Http2TlsRequests,
}

internal static class ConnectionCounters
{
    public const int Count = (int)ConnectionFigure.Http2TlsRequests + 1;

    public static void Add(this WireCounters counters, ConnectionFigure figure, long amount) => counters.Add((Figure)(int)figure, amount);

    public static long Since(this long[] figures, ConnectionFigure figure) => figures[(int)figure];
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

    private readonly long[] _totals;
    private readonly int _count, _stripes, _stride;
    private long[]? _baseline; // null: never reset (zero)

    /// <summary>Counters of every <see cref="Figure"/>, or of the first <paramref name="count"/> indexes (e.g. <see cref="ConnectionFigure"/>).</summary>
    public WireCounters(int stripes = 1, int count = Count)
    {
        _count = count;
        _stripes = stripes;
        _stride = stripes == 1 ? count : (count + 7) / 8 * 8 + 8; // whole 64-byte lines plus one line between stripes
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
        var result = new long[_count];
        for (int i = 0; i < _count; i++) result[i] = Lifetime((Figure)i) - (baseline?[i] ?? 0);
        return result;
    }

    public void Reset()
    {
        var baseline = new long[_count];
        for (int i = 0; i < _count; i++) baseline[i] = Lifetime((Figure)i);
        Volatile.Write(ref _baseline, baseline);
    }
}
