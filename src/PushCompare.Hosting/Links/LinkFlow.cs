namespace PushCompare.Hosting.Links;

/// <summary>
/// One direction of an emulated link, shared by every connection through it, as the bottleneck of a household or mobile
/// link is: segments leave it one after the other at the link rate, whichever connection they belong to.
/// </summary>
internal sealed class LinkQueue(long? bitsPerSecond, long ticksPerSecond)
{
    private readonly double _ticksPerByte = bitsPerSecond is { } bps ? 8.0 * ticksPerSecond / bps : 0;
    private readonly Lock _gate = new();
    private long _freeAt = long.MinValue;

    /// <summary>When the last bit of <paramref name="wireBytes"/> offered at <paramref name="now"/> has left the bottleneck.</summary>
    public long Transmit(long now, int wireBytes)
    {
        if (_ticksPerByte == 0) return now;
        lock (_gate)
        {
            _freeAt = Math.Max(now, _freeAt) + (long)Math.Ceiling(wireBytes * _ticksPerByte);
            return _freeAt;
        }
    }
}

/// <summary>
/// One direction of one connection over a link: when each of its segments arrives. A segment arrives after its turn in
/// the shared <see cref="LinkQueue"/>, the one-way delay and its jitter; a lost one one retransmission later; and never
/// before a segment sent ahead of it (TCP delivers in order, so a late segment holds up everything behind it).
/// </summary>
internal sealed class LinkFlow
{
    /// <summary>Linux's smallest retransmission timeout, added to the round trip as its RTO estimate does on a steady path.</summary>
    public static readonly TimeSpan MinRto = TimeSpan.FromMilliseconds(200);

    /// <summary>The timeout of a connection's first SYN (RFC 6298 section 2.1, Linux's TCP_TIMEOUT_INIT).</summary>
    public static readonly TimeSpan InitialRto = TimeSpan.FromSeconds(1);

    /// <summary>Segments that must follow a lost one for three duplicate acknowledgements to trigger fast retransmit.</summary>
    public const int DupAckThreshold = 3;

    /// <summary>IPv4 and TCP headers without options: the bytes each segment costs on the link beyond its payload.</summary>
    public const int HeaderBytes = 40;

    private readonly LinkQueue _queue;
    private readonly Random _random;
    private readonly LinkCounters _counters;
    private readonly double _loss;
    private readonly long _oneWay, _roundTrip, _rto, _jitter;
    private long _lastArrival = long.MinValue;

    public LinkFlow(LinkProfile profile, LinkQueue queue, long ticksPerSecond, Random random, LinkCounters counters)
    {
        _queue = queue;
        _random = random;
        _counters = counters;
        _loss = profile.Loss;
        _oneWay = Ticks(profile.OneWay, ticksPerSecond);
        _roundTrip = Ticks(profile.RoundTrip, ticksPerSecond);
        _rto = _roundTrip + Ticks(MinRto, ticksPerSecond);
        _jitter = Ticks(profile.Jitter, ticksPerSecond);
    }

    public static long Ticks(TimeSpan span, long ticksPerSecond) => (long)Math.Ceiling(span.TotalSeconds * ticksPerSecond);

    /// <summary>
    /// When a segment of <paramref name="payloadBytes"/> offered at <paramref name="now"/> arrives.
    /// <paramref name="segmentsBehind"/> is how many more the sender has ready right behind it: with at least
    /// <see cref="DupAckThreshold"/> a loss is repaired by fast retransmit one round trip later, otherwise by the timeout.
    /// </summary>
    public long Schedule(long now, int payloadBytes, int segmentsBehind)
    {
        var sent = _queue.Transmit(now, payloadBytes + HeaderBytes);
        var arrival = sent + _oneWay + Jitter() + LossDelay(segmentsBehind >= DupAckThreshold);
        _counters.Segment();
        return InOrder(arrival);
    }

    /// <summary>When the end of the stream (a FIN, offered at <paramref name="now"/>) arrives: after every byte before it.</summary>
    public long ScheduleEnd(long now) => InOrder(now + _oneWay);

    private long InOrder(long arrival) => _lastArrival = Math.Max(_lastArrival, arrival);

    private long Jitter() => _jitter == 0 ? 0 : (long)(_random.NextDouble() * _jitter);

    private long LossDelay(bool fastRetransmit)
    {
        if (!Lost()) return 0;
        // The first repair: duplicate acknowledgements reach the sender one round trip after the loss, or the timer fires.
        var delay = fastRetransmit ? _roundTrip : _rto;
        // A lost retransmission waits for the timer, which doubles each time (exponential back-off).
        var backoff = fastRetransmit ? _rto : 2 * _rto;
        while (Lost())
        {
            delay += backoff;
            backoff *= 2;
        }
        return delay;
    }

    /// <summary>When a connection opened at <paramref name="now"/> may carry its first byte: one round trip for SYN and
    /// SYN-ACK, plus the SYN timeout (1 s, doubling) each time one of them is lost.</summary>
    public static long Handshake(LinkProfile profile, long now, long ticksPerSecond, Random random, LinkCounters counters)
    {
        var ready = now + Ticks(profile.RoundTrip, ticksPerSecond);
        var timeout = Ticks(InitialRto, ticksPerSecond);
        while (profile.Loss > 0 && random.NextDouble() < profile.Loss)
        {
            counters.Loss();
            ready += timeout;
            timeout *= 2;
        }
        return ready;
    }

    private bool Lost()
    {
        if (_loss == 0 || _random.NextDouble() >= _loss) return false;
        _counters.Loss();
        return true;
    }
}

/// <summary>What crossed a link so far: tests check the loss model was exercised, people see it in the bench's report.</summary>
public sealed class LinkCounters
{
    private long _connections, _segments, _losses;

    public long Connections => Interlocked.Read(ref _connections);

    /// <summary>Segments carried (each counted once, however often it was lost).</summary>
    public long Segments => Interlocked.Read(ref _segments);

    /// <summary>Transmissions lost (a segment lost twice counts twice; lost SYNs count too).</summary>
    public long Losses => Interlocked.Read(ref _losses);

    internal void Connection() => Interlocked.Increment(ref _connections);

    internal void Segment() => Interlocked.Increment(ref _segments);

    internal void Loss() => Interlocked.Increment(ref _losses);
}
