namespace PushCompare.Metering;

/// <summary>The figures of one transport: additive counters, open connections and delivery latency.</summary>
internal sealed class TransportMeter(TransportDescriptor descriptor, bool carriesMessages)
{
    private int _connections;

    public TransportDescriptor Descriptor { get; } = descriptor;

    /// <summary>The instruments' <c>transport</c> tag.</summary>
    public KeyValuePair<string, object?> Tag { get; } = new("transport", descriptor.Id);
    public WireCounters Counters { get; } = new(Environment.ProcessorCount);

    /// <summary>Figures of the connections this transport owns (<see cref="ConnectionFigure"/>).</summary>
    public WireCounters Connection { get; } = new(Environment.ProcessorCount, ConnectionCounters.Count);

    /// <summary>Latency of delivered messages; "other" carries no messages, so it has none.</summary>
    public LatencyRecorder? Latency { get; } = carriesMessages ? new LatencyRecorder() : null;

    /// <summary>Open TCP connections whose latest request was of this transport.</summary>
    public int Connections => Volatile.Read(ref _connections);

    public void ConnectionAdded() => Interlocked.Increment(ref _connections);
    public void ConnectionRemoved() => Interlocked.Decrement(ref _connections);
}
