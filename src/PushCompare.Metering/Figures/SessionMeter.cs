namespace PushCompare.Metering;

/// <summary>
/// The figures of one client session, listed under its key: server-issued or chosen by the client
/// (<see cref="SessionKeying"/>; docs/measuring.md, "Sessions"). A session may be carried by several transports in turn
/// (polls, a stream, a WebSocket attached to it): each byte counts in the part of the transport whose request carried
/// it, and the session's figures are the sum of its parts, by construction. Open while the lease <see cref="Open"/>
/// handed out is held.
/// </summary>
internal sealed class SessionMeter(string key, TransportMeter transport, SessionKeying keying, DateTimeOffset opened)
{
    private readonly Lock _adding = new();
    private SessionPart[] _parts = []; // in the order the transports first carried the session; copied on write
    private int _open;
    private long _maxLatencyMicroseconds;

    public string Key { get; } = key;

    /// <summary>The transport that opened the session.</summary>
    public TransportDescriptor Transport => TransportMeter.Descriptor;
    public TransportMeter TransportMeter { get; } = transport;

    /// <summary>Who issued <see cref="Key"/> (not necessarily the keying of the transport that opened the session).</summary>
    public SessionKeying Keying { get; } = keying;
    public DateTimeOffset Opened { get; } = opened;
    public bool IsOpen => Volatile.Read(ref _open) > 0;
    public long MaxLatencyMicroseconds => Volatile.Read(ref _maxLatencyMicroseconds);

    /// <summary>The session's figures by carrying transport.</summary>
    public IReadOnlyList<SessionPart> Parts => Volatile.Read(ref _parts);

    /// <summary>The counters of what <paramref name="carrier"/> carried for this session, started with its first byte.</summary>
    public WireCounters PartOf(TransportMeter carrier)
    {
        foreach (var part in Volatile.Read(ref _parts)) // a handful at most: a scan beats hashing
        {
            if (ReferenceEquals(part.Transport, carrier)) return part.Counters;
        }
        lock (_adding)
        {
            foreach (var part in _parts)
            {
                if (ReferenceEquals(part.Transport, carrier)) return part.Counters;
            }
            var added = new SessionPart(carrier, new WireCounters());
            Volatile.Write(ref _parts, [.. _parts, added]);
            return added.Counters;
        }
    }

    /// <summary>A figure's total since the process started: the sum of the parts.</summary>
    public long Lifetime(Figure figure)
    {
        long sum = 0;
        foreach (var part in Parts) sum += part.Counters.Lifetime(figure);
        return sum;
    }

    /// <summary>Every figure since the last reset: the sum of the parts'.</summary>
    public long[] SinceReset()
    {
        var sum = new long[WireCounters.Count];
        foreach (var part in Parts)
        {
            var f = part.Counters.SinceReset();
            for (int i = 0; i < sum.Length; i++) sum[i] += f[i];
        }
        return sum;
    }

    /// <summary>The session is open until the returned lease is disposed (once; later disposals do nothing).</summary>
    public IDisposable Open()
    {
        Interlocked.Increment(ref _open);
        return new Lease(this);
    }

    public void RecordLatency(TransportMeter carrier, long microseconds)
    {
        var counters = PartOf(carrier);
        counters.Increment(Figure.LatencyCount);
        counters.Add(Figure.LatencySumMicroseconds, microseconds);
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
        foreach (var part in Parts) part.Counters.Reset();
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

/// <summary>What one transport carried for a session.</summary>
internal sealed record SessionPart(TransportMeter Transport, WireCounters Counters);
