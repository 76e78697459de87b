namespace PushCompare.Bench.Metrics;

/// <summary>Every connection one run opened, so bytes can be summed at the start and end of the measurement window.</summary>
internal sealed class TrafficMeter
{
    private readonly Lock _gate = new();
    private readonly List<CountingStream> _streams = [];

    public void Add(CountingStream stream)
    {
        lock (_gate) _streams.Add(stream);
    }

    public TrafficSnapshot Snapshot()
    {
        long up = 0, down = 0;
        int connections;
        lock (_gate)
        {
            connections = _streams.Count;
            foreach (var s in _streams)
            {
                up += s.BytesWritten;
                down += s.BytesRead;
            }
        }
        return new TrafficSnapshot(up, down, connections);
    }
}

/// <summary>Bytes written (up) and read (down) by the client over all connections; <c>Connections</c> counts those ever opened.</summary>
public readonly record struct TrafficSnapshot(long Up, long Down, int Connections)
{
    public static TrafficSnapshot operator -(TrafficSnapshot a, TrafficSnapshot b) => new(a.Up - b.Up, a.Down - b.Down, a.Connections - b.Connections);
}
