namespace PushCompare.Web.Metering;

/// <summary>The figures of one transport: additive counters, open connections and WebSockets, and delivery latency.</summary>
internal sealed class TransportMeter(WireTransport transport)
{
    private int _connections;
    private int _openWebSockets;

    public WireTransport Transport { get; } = transport;
    public WireCounters Counters { get; } = new(Environment.ProcessorCount);

    /// <summary>Latency of delivered messages; "other" carries no messages, so it has none.</summary>
    public LatencyRecorder? Latency { get; } = transport == WireTransport.Other ? null : new LatencyRecorder();

    /// <summary>Open TCP connections whose latest request was of this transport.</summary>
    public int Connections => Volatile.Read(ref _connections);

    public int OpenWebSockets => Volatile.Read(ref _openWebSockets);

    public void ConnectionAdded() => Interlocked.Increment(ref _connections);
    public void ConnectionRemoved() => Interlocked.Decrement(ref _connections);
    public void WebSocketOpened() => Interlocked.Increment(ref _openWebSockets);
    public void WebSocketClosed() => Interlocked.Decrement(ref _openWebSockets);
}
