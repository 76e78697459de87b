namespace PushCompare.Web.Metering;

/// <summary>
/// The figures of one client session: a WebSocket connection (keyed by the page's <c>?client=</c> token or the
/// connection id) or a polling session (keyed by its id). Polling also remembers when each reply was queued so the
/// poll that first carries it can record its delivery latency.
/// </summary>
internal sealed class SessionMeter(string key, WireTransport transport, DateTimeOffset opened)
{
    // Replies queued but not yet delivered, oldest first, numbered in queue order like the session's own messages.
    // Bounded: an abandoned session never holds more (its backlog limit closes it first, and then the queue is dropped).
    private const int MaxQueued = 1024;
    private readonly Lock _gate = new();
    private readonly Queue<(long Seq, long Timestamp)> _queued = new();
    private long _queuedSeq;
    private long _deliveredUpTo;                   // polling cursor up to which messages were delivered at least once
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

    /// <summary>A reply was queued for this polling session now (every queued reply must be reported, in order).</summary>
    public void Queued(long timestamp)
    {
        lock (_gate)
        {
            if (_queued.Count == MaxQueued) _queued.Dequeue();
            _queued.Enqueue((++_queuedSeq, timestamp));
        }
    }

    /// <summary>
    /// A poll answers with the batch ending at <paramref name="cursor"/>. Fills, for each message of the batch, when it
    /// was queued if this is its first delivery (0 if unknown), or -1 if an earlier (lost or unacknowledged) response carried it.
    /// </summary>
    public void TakeFirstDeliveries(long cursor, Span<long> queuedAt)
    {
        lock (_gate)
        {
            long firstSeq = cursor - queuedAt.Length + 1;
            for (int i = 0; i < queuedAt.Length; i++)
            {
                long seq = firstSeq + i;
                if (seq <= _deliveredUpTo)
                {
                    queuedAt[i] = -1;
                    continue;
                }
                while (_queued.TryPeek(out var head) && head.Seq < seq) _queued.Dequeue();
                queuedAt[i] = _queued.TryPeek(out var match) && match.Seq == seq ? _queued.Dequeue().Timestamp : 0;
            }
            _deliveredUpTo = Math.Max(_deliveredUpTo, cursor);
        }
    }

    /// <summary>The polling session is closed: nothing queued will be delivered.</summary>
    public void ForgetQueued()
    {
        lock (_gate) _queued.Clear();
    }

    public void Reset()
    {
        Counters.Reset();
        Volatile.Write(ref _maxLatencyMicroseconds, 0);
    }
}
