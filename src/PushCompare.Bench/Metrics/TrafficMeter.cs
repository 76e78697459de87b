namespace PushCompare.Bench.Metrics;

/// <summary>
/// Every connection one run opened, at two layers, so bytes can be summed at the start and end of the measurement
/// window: the HTTP layer (what the HTTP client wrote and read) and the wire (TCP payload). Over plain HTTP they are
/// one stream; over TLS the wire also carries the handshake and each record's header, padding and tag.
/// </summary>
internal sealed class TrafficMeter
{
    private readonly Lock _gate = new();
    private readonly List<CountingStream> _http = [];
    private readonly List<CountingStream> _wire = [];

    /// <summary>A plaintext connection: its socket stream is both layers.</summary>
    public void Add(CountingStream stream)
    {
        lock (_gate)
        {
            _http.Add(stream);
            _wire.Add(stream);
        }
    }

    /// <summary>A TLS connection's decrypted stream.</summary>
    public void AddHttp(CountingStream stream)
    {
        lock (_gate) _http.Add(stream);
    }

    /// <summary>A TLS connection's socket stream.</summary>
    public void AddWire(CountingStream stream)
    {
        lock (_gate) _wire.Add(stream);
    }

    public TrafficSnapshot Snapshot()
    {
        long up = 0, down = 0, wireUp = 0, wireDown = 0;
        int connections;
        lock (_gate)
        {
            connections = _wire.Count;
            foreach (var s in _http)
            {
                up += s.BytesWritten;
                down += s.BytesRead;
            }
            foreach (var s in _wire)
            {
                wireUp += s.BytesWritten;
                wireDown += s.BytesRead;
            }
        }
        return new TrafficSnapshot(up, down, connections) { WireUp = wireUp, WireDown = wireDown };
    }
}

/// <summary>
/// Bytes written (up) and read (down) by the client over all connections at the HTTP layer, and the same at the wire
/// (<c>WireUp</c>, <c>WireDown</c>: equal to Up and Down without TLS); <c>Connections</c> counts TCP connections ever opened.
/// </summary>
public readonly record struct TrafficSnapshot(long Up, long Down, int Connections)
{
    public long WireUp { get; init; }

    public long WireDown { get; init; }

    public static TrafficSnapshot operator -(TrafficSnapshot a, TrafficSnapshot b) =>
        new(a.Up - b.Up, a.Down - b.Down, a.Connections - b.Connections) { WireUp = a.WireUp - b.WireUp, WireDown = a.WireDown - b.WireDown };
}
