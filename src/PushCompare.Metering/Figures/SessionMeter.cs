namespace PushCompare.Metering;

/// <summary>
/// The figures of one client session, listed under its key: server-issued or chosen by the client, as its transport
/// declares (<see cref="SessionKeying"/>; docs/measuring.md, "Sessions"). Open while the transport holds the lease
/// <see cref="Open"/> handed out.
/// </summary>
internal sealed class SessionMeter(string key, TransportMeter transport, DateTimeOffset opened)
{
    private int _open;
    private long _maxLatencyMicroseconds;

    public string Key { get; } = key;
    public TransportDescriptor Transport => TransportMeter.Descriptor;
    public TransportMeter TransportMeter { get; } = transport;
    public DateTimeOffset Opened { get; } = opened;
    public WireCounters Counters { get; } = new();
    public bool IsOpen => Volatile.Read(ref _open) > 0;
    public long MaxLatencyMicroseconds => Volatile.Read(ref _maxLatencyMicroseconds);

    /// <summary>The session is open until the returned lease is disposed (once; later disposals do nothing).</summary>
    public IDisposable Open()
    {
        Interlocked.Increment(ref _open);
        return new Lease(this);
    }

    public void RecordLatency(long microseconds)
    {
        Counters.Increment(Figure.LatencyCount);
        Counters.Add(Figure.LatencySumMicroseconds, microseconds);
        long max = Volatile.Read(ref _maxLatencyMicroseconds);
        while (microseconds > max)
        {
            long seen = Interlocked.CompareExchange(ref _maxLatencyMicroseconds, microseconds, max);
            if (seen == max) break;
            max = seen;
        }
    }

    public void Reset()
    {
        Counters.Reset();
        Volatile.Write(ref _maxLatencyMicroseconds, 0);
    }

    private sealed class Lease(SessionMeter session) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) Interlocked.Decrement(ref session._open);
        }
    }
}
