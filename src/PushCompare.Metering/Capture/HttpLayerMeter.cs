namespace PushCompare.Metering;

/// <summary>
/// The HTTP layer of one connection — plaintext TCP, or the decrypted bytes of TLS — as its requests see it: the
/// connection feature the metering middleware binds requests to, and the open-connection gauge (the transport of the
/// connection's latest claimed request).
/// </summary>
internal abstract class HttpLayerMeter
{
    private TransportMeter _servedBy;

    protected HttpLayerMeter(WireMeter meter)
    {
        Meter = meter;
        _servedBy = meter.Other;
        _servedBy.ConnectionAdded();
    }

    protected WireMeter Meter { get; }

    /// <summary>A request of this connection was claimed by <paramref name="transport"/>: the open-connection gauge moves there.</summary>
    public void ServedBy(TransportMeter transport)
    {
        OnClaimed(transport);
        if (ReferenceEquals(_servedBy, transport)) return;
        _servedBy.ConnectionRemoved();
        transport.ConnectionAdded();
        _servedBy = transport;
    }

    /// <summary>Every claim of a request of this connection (TLS: the first one names the owner of the connection's own figures).</summary>
    protected virtual void OnClaimed(TransportMeter transport)
    {
    }

    protected void ConnectionClosed() => _servedBy.ConnectionRemoved();
}
