using System.Diagnostics.Metrics;

namespace PushCompare.Web.Metering;

/// <summary>
/// The figures as <see cref="System.Diagnostics.Metrics"/> instruments of the meter <c>PushCompare</c>, so
/// <c>dotnet-counters monitor -n PushCompare.Web --counters PushCompare</c> shows them. Counters are observable
/// (read from the totals on collection: nothing extra on the hot path) and keep lifetime totals across resets.
/// </summary>
internal sealed class WireInstruments
{
    public const string MeterName = "PushCompare";

    private static readonly KeyValuePair<string, object?>[] TransportTags =
        [.. WireTransports.All.Select(t => new KeyValuePair<string, object?>("transport", t.Name()))];

    private readonly Histogram<double> _delivery;

    public WireInstruments(IMeterFactory factory, WireMeter meter)
    {
        var m = factory.Create(MeterName);
        m.CreateObservableCounter("pushcompare.requests", () => PerTransport(meter, Figure.Requests), "{request}",
            "HTTP requests served, by transport (a WebSocket counts its one upgrade request).");
        m.CreateObservableCounter("pushcompare.bytes", () => InOut(meter, Figure.BytesIn, Figure.BytesOut), "By",
            "TCP payload bytes read (consumed) and written, by transport and direction.");
        m.CreateObservableCounter("pushcompare.messages", () => InOut(meter, Figure.MessagesIn, Figure.MessagesOut), "{message}",
            "Messages received from clients (in) and delivered to them for the first time (out).");
        m.CreateObservableCounter("pushcompare.messages.resent", () => PerTransport(meter, Figure.MessagesResent), "{message}",
            "Polling messages written again because the client had not acknowledged an earlier response.");
        m.CreateObservableCounter("pushcompare.payload.bytes", () => InOut(meter, Figure.PayloadBytesIn, Figure.PayloadBytesOut), "By",
            "Message payload bytes (UTF-8 text or binary), by transport and direction.");
        m.CreateObservableCounter("pushcompare.websocket.frames", () => Frames(meter), "{frame}",
            "WebSocket frames on the wire (RFC 6455 §5.2), by direction and kind (data or control).");
        m.CreateObservableUpDownCounter("pushcompare.connections", () => Connections(meter), "{connection}",
            "Open TCP connections, by the transport of their latest request.");
        m.CreateObservableUpDownCounter("pushcompare.sessions", () => Sessions(meter), "{session}",
            "Open sessions: WebSockets, and polling sessions the server holds.");
        _delivery = m.CreateHistogram<double>("pushcompare.message.delivery.duration", "ms",
            "From a message's creation on the server (its reply queued) to its delivery being written to the connection.");
    }

    public void RecordDelivery(WireTransport transport, double milliseconds) =>
        _delivery.Record(milliseconds, TransportTags[(int)transport]);

    private static IEnumerable<Measurement<long>> PerTransport(WireMeter meter, Figure figure) =>
        WireTransports.All.Select(t => new Measurement<long>(meter.Transport(t).Counters.Lifetime(figure), TransportTags[(int)t]));

    private static IEnumerable<Measurement<long>> InOut(WireMeter meter, Figure inbound, Figure outbound) =>
        WireTransports.All.SelectMany(t => new[]
        {
            new Measurement<long>(meter.Transport(t).Counters.Lifetime(inbound), TransportTags[(int)t], new("direction", "in")),
            new Measurement<long>(meter.Transport(t).Counters.Lifetime(outbound), TransportTags[(int)t], new("direction", "out")),
        });

    private static IEnumerable<Measurement<long>> Frames(WireMeter meter)
    {
        var ws = meter.Transport(WireTransport.WebSocket).Counters;
        long framesIn = ws.Lifetime(Figure.FramesIn), framesOut = ws.Lifetime(Figure.FramesOut);
        long controlIn = ws.Lifetime(Figure.ControlFramesIn), controlOut = ws.Lifetime(Figure.ControlFramesOut);
        yield return new(framesIn - controlIn, new("direction", "in"), new("kind", "data"));
        yield return new(controlIn, new("direction", "in"), new("kind", "control"));
        yield return new(framesOut - controlOut, new("direction", "out"), new("kind", "data"));
        yield return new(controlOut, new("direction", "out"), new("kind", "control"));
    }

    private static IEnumerable<Measurement<int>> Connections(WireMeter meter) =>
        WireTransports.All.Select(t => new Measurement<int>(meter.Transport(t).Connections, TransportTags[(int)t]));

    private static IEnumerable<Measurement<int>> Sessions(WireMeter meter) =>
        WireTransports.All.Where(t => t != WireTransport.Other)
            .Select(t => new Measurement<int>(meter.OpenSessions(t), TransportTags[(int)t]));
}
