namespace PushCompare.Web.Metering;

/// <summary>
/// The figures of one client session: a WebSocket connection (keyed by the page's <c>?client=</c> token or the
/// connection id) or a polling session (keyed by its id).
/// </summary>
internal sealed class SessionMeter(string key, WireTransport transport, DateTimeOffset opened)
{
    private int _openConnections;
    private long _maxLatencyMicroseconds;

    public string Key { get; } = key;
    public WireTransport Transport { get; } = transport;
    public DateTimeOffset Opened { get; } = opened;
    public WireCounters Counters { get; } = new();
    public int OpenConnections => Volatile.Read(ref _openConnections);
    public long MaxLatencyMicroseconds => Volatile.Read(ref _maxLatencyMicroseconds);

    public void ConnectionOpened() => Interlocked.Increment(ref _openConnections);
    public void ConnectionClosed() => Interlocked.Decrement(ref _openConnections);

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
}
