using System.Diagnostics.Metrics;

namespace PushCompare.Metering;

/// <summary>
/// The figures as <see cref="System.Diagnostics.Metrics"/> instruments of the meter <c>PushCompare</c>, so
/// <c>dotnet-counters monitor -n PushCompare.Web --counters PushCompare</c> shows them. Counters are observable
/// (read from the totals on collection: nothing extra on the hot path) and keep lifetime totals across resets.
/// </summary>
internal sealed class WireInstruments
{
    public const string MeterName = "PushCompare";

    private readonly Histogram<double> _delivery;

    public WireInstruments(IMeterFactory factory, WireMeter meter)
    {
        var m = factory.Create(MeterName);
        m.CreateObservableCounter("pushcompare.requests", () => PerTransport(meter, Figure.Requests), "{request}",
            "HTTP requests served, by transport (an upgraded connection counts its one upgrade request).");
        m.CreateObservableCounter("pushcompare.bytes", () => InOut(meter, Figure.BytesIn, Figure.BytesOut), "By",
            "HTTP-layer bytes read (consumed) and written, by transport and direction: the TCP payload on plain HTTP, the decrypted bytes over TLS.");
        m.CreateObservableCounter("pushcompare.wire.bytes", () => Wire(meter), "By",
            "TCP payload bytes by transport and direction at the wire layer: over TLS the records' overhead, the handshakes and HTTP/2 connection frames too.");
        m.CreateObservableCounter("pushcompare.messages", () => InOut(meter, Figure.MessagesIn, Figure.MessagesOut), "{message}",
            "Messages received from clients (in) and delivered to them for the first time (out).");
        m.CreateObservableCounter("pushcompare.messages.resent", () => PerTransport(meter, Figure.MessagesResent), "{message}",
            "Messages written again because the client had not acknowledged an earlier delivery.");
        m.CreateObservableCounter("pushcompare.payload.bytes", () => InOut(meter, Figure.PayloadBytesIn, Figure.PayloadBytesOut), "By",
            "Message payload bytes (UTF-8 text or binary), by transport and direction.");
        m.CreateObservableCounter("pushcompare.frames", () => Frames(meter), "{frame}",
            "Frames on the wire of transports that declare a framing (RFC 6455 §5.2), by transport, direction and kind (data or control).");
        m.CreateObservableUpDownCounter("pushcompare.connections", () => Connections(meter), "{connection}",
            "Open TCP connections, by the transport of their latest request.");
        m.CreateObservableUpDownCounter("pushcompare.sessions", () => Sessions(meter), "{session}",
            "Open sessions, by transport, as each transport counts them.");
        _delivery = m.CreateHistogram<double>("pushcompare.message.delivery.duration", "ms",
            "From a message's creation on the server (its reply queued) to its delivery being written to the connection.");
    }

    public void RecordDelivery(TransportMeter transport, double milliseconds) => _delivery.Record(milliseconds, transport.Tag);

    private static IEnumerable<Measurement<long>> PerTransport(WireMeter meter, Figure figure) =>
        meter.Transports.Select(t => new Measurement<long>(t.Counters.Lifetime(figure), t.Tag));

    private static IEnumerable<Measurement<long>> InOut(WireMeter meter, Figure inbound, Figure outbound) =>
        meter.Transports.SelectMany(t => new[]
        {
            new Measurement<long>(t.Counters.Lifetime(inbound), t.Tag, new("direction", "in")),
            new Measurement<long>(t.Counters.Lifetime(outbound), t.Tag, new("direction", "out")),
        });

    private static IEnumerable<Measurement<long>> Wire(WireMeter meter) =>
        meter.Transports.SelectMany(t => new[]
        {
            new Measurement<long>(t.Counters.Lifetime(Figure.BytesIn) + t.Counters.Lifetime(Figure.TlsRecordBytesIn)
                + t.Connection.Lifetime((Figure)(int)ConnectionFigure.TlsHandshakeBytesIn) + t.Connection.Lifetime((Figure)(int)ConnectionFigure.Http2ConnectionBytesIn),
                t.Tag, new("direction", "in")),
            new Measurement<long>(t.Counters.Lifetime(Figure.BytesOut) + t.Counters.Lifetime(Figure.TlsRecordBytesOut)
                + t.Connection.Lifetime((Figure)(int)ConnectionFigure.TlsHandshakeBytesOut) + t.Connection.Lifetime((Figure)(int)ConnectionFigure.Http2ConnectionBytesOut),
                t.Tag, new("direction", "out")),
        });

    private static IEnumerable<Measurement<long>> Frames(WireMeter meter)
    {
        foreach (var t in meter.Transports)
        {
            if (t.Descriptor.Framing == WireFraming.None) continue;
            var c = t.Counters;
            long framesIn = c.Lifetime(Figure.FramesIn), framesOut = c.Lifetime(Figure.FramesOut);
            long controlIn = c.Lifetime(Figure.ControlFramesIn), controlOut = c.Lifetime(Figure.ControlFramesOut);
            yield return new(framesIn - controlIn, t.Tag, new("direction", "in"), new("kind", "data"));
            yield return new(controlIn, t.Tag, new("direction", "in"), new("kind", "control"));
            yield return new(framesOut - controlOut, t.Tag, new("direction", "out"), new("kind", "data"));
            yield return new(controlOut, t.Tag, new("direction", "out"), new("kind", "control"));
        }
    }

    private static IEnumerable<Measurement<int>> Connections(WireMeter meter) =>
        meter.Transports.Select(t => new Measurement<int>(t.Connections, t.Tag));

    private static IEnumerable<Measurement<int>> Sessions(WireMeter meter) =>
        // Only the transports this process serves count sessions (a gateway's declared ones are counted by its instances).
        meter.Registry.Transports.Select(t => new Measurement<int>(meter.OpenSessions(t), meter.Transport(t).Tag));
}
