using System.Text.Json;
using System.Text.Json.Serialization;

namespace PushCompare.Metering;

/// <summary>
/// Body of <c>GET /api/stats</c>: figures since <see cref="Since"/> (the last reset) per transport and per session.
/// <see cref="Transports"/> is keyed by transport id, in the registry's order, with "other" last (the page, /api/stats
/// and anything no transport claimed, kept out of the comparison). docs/measuring.md lists the versions.
/// </summary>
public sealed record StatsSnapshot(
    int Version,
    bool Enabled,
    DateTimeOffset Since,
    DateTimeOffset Now,
    IReadOnlyDictionary<string, TransportStats> Transports,
    SessionStats[] Sessions,
    int SessionsTracked,
    long SessionsUntracked)
{
    /// <summary>
    /// 4: a session's figures also by the transport that carried them (<c>parts</c>); a session may be read and sent to
    /// by every transport. 3: every byte figure at two layers — HTTP (<c>bytesIn/Out</c>, as before) and wire (<c>wireBytesIn/Out</c>, with
    /// <c>tlsRecordBytesIn/Out</c>); per transport also the TLS handshake, the HTTP/2 connection frames and requests by
    /// protocol. 2: transports keyed by the registry's ids; server-issued session keys are stats keys, never credentials.
    /// </summary>
    public const int CurrentVersion = 4;

    /// <summary>Open TLS connections (the 100 most recent; none when one session is asked for), each with its own figures since it opened.</summary>
    public TlsConnectionStats[] TlsConnections { get; init; } = [];

    /// <summary>
    /// Set when a gateway answered: its figures are the browser's connections', and every transport and session also
    /// carries its instances' own figures as <see cref="WireFigures.Upstream"/>. Null (absent) in an instance's answer.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public GatewayStatsInfo? Gateway { get; init; }
}

/// <summary>How a gateway's answer was made: the instances it asked for their figures, and how many answered.</summary>
public sealed record GatewayStatsInfo(int Instances, int Answered);

/// <summary>
/// What the same traffic cost between a gateway and its instances, as the instances metered it (summed over every
/// instance): the scale-out cost beside the browser's own figures. Only in a gateway's answer.
/// </summary>
public sealed class UpstreamFigures
{
    public long Requests { get; init; }
    public long BytesIn { get; init; }
    public long BytesOut { get; init; }
    public long WireBytesIn { get; init; }
    public long WireBytesOut { get; init; }

    /// <summary>A transport's open gateway-to-instance connections (the gateway's pool); absent for a session.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Connections { get; init; }
}

/// <summary>
/// One open TLS connection's figures since it opened (never reset): its wire bytes (TCP payload) and what they were —
/// its requests' HTTP bytes, HTTP/2 connection frames, record overhead and handshake. Once the connection is quiet,
/// <c>wireBytes</c> = <c>bytes</c> + <c>http2ConnectionBytes</c> + <c>tlsRecordBytes</c> + <c>tlsHandshakeBytes</c>.
/// </summary>
public sealed class TlsConnectionStats
{
    public required string Id { get; init; }
    public DateTimeOffset Opened { get; init; }
    /// <summary><c>http/1.1+tls</c> or <c>h2+tls</c>; null while the handshake is under way.</summary>
    public string? Protocol { get; init; }
    /// <summary>The transport that owns the connection's own figures (its first claimed request's); null until then.</summary>
    public string? Transport { get; init; }
    public long BytesIn { get; init; }
    public long BytesOut { get; init; }
    public long Http2ConnectionBytesIn { get; init; }
    public long Http2ConnectionBytesOut { get; init; }
    public long TlsRecordBytesIn { get; init; }
    public long TlsRecordBytesOut { get; init; }
    public long TlsHandshakeBytesIn { get; init; }
    public long TlsHandshakeBytesOut { get; init; }
    public long WireBytesIn { get; init; }
    public long WireBytesOut { get; init; }
}

/// <summary>Delivery latency of messages in milliseconds (null when nothing was delivered; percentiles only per transport).</summary>
public sealed record LatencyStats(long Count, double? MeanMs, double? P50Ms, double? P90Ms, double? P99Ms, double? MaxMs)
{
    public static readonly LatencyStats Empty = new(0, null, null, null, null, null);
}

/// <summary>The additive figures shared by transports and sessions (docs/measuring.md says how each is counted).</summary>
public abstract class WireFigures
{
    [JsonInclude] public long Requests { get; internal set; }
    [JsonInclude] public long BytesIn { get; internal set; }
    [JsonInclude] public long BytesOut { get; internal set; }
    [JsonInclude] public long MessagesIn { get; internal set; }
    [JsonInclude] public long MessagesOut { get; internal set; }
    [JsonInclude] public long MessagesResent { get; internal set; }
    /// <summary>Application payload of the messages (UTF-8 or binary bytes as sent and received, before compression).</summary>
    [JsonInclude] public long PayloadBytesIn { get; internal set; }
    [JsonInclude] public long PayloadBytesOut { get; internal set; }
    [JsonInclude] public long FramesIn { get; internal set; }
    [JsonInclude] public long FramesOut { get; internal set; }
    [JsonInclude] public long ControlFramesIn { get; internal set; }
    [JsonInclude] public long ControlFramesOut { get; internal set; }
    [JsonInclude] public long FrameHeaderBytesIn { get; internal set; }
    [JsonInclude] public long FrameHeaderBytesOut { get; internal set; }

    /// <summary>Payload bytes of data frames as they crossed the wire: compressed when permessage-deflate is on (<see cref="PayloadBytesIn"/> is the application's).</summary>
    [JsonInclude] public long FramePayloadBytesIn { get; internal set; }
    [JsonInclude] public long FramePayloadBytesOut { get; internal set; }

    /// <summary>Messages whose first frame carried RSV1, i.e. were sent compressed (RFC 7692 §6).</summary>
    [JsonInclude] public long CompressedMessagesIn { get; internal set; }
    [JsonInclude] public long CompressedMessagesOut { get; internal set; }

    /// <summary>TLS record overhead (header, AEAD tag, inner content type) carried by these bytes; 0 on plaintext.</summary>
    [JsonInclude] public long TlsRecordBytesIn { get; internal set; }
    [JsonInclude] public long TlsRecordBytesOut { get; internal set; }

    /// <summary>
    /// The wire layer (TCP payload): for a session its requests' bytes with their record overhead; for a transport
    /// also the handshakes and HTTP/2 connection frames of the connections it owns. Equal to the HTTP layer on plaintext.
    /// </summary>
    [JsonInclude] public long WireBytesIn { get; internal set; }
    [JsonInclude] public long WireBytesOut { get; internal set; }

    /// <summary>HTTP-layer bytes both ways per message delivered to the client (null before the first delivery).</summary>
    public double? BytesPerMessage => PerMessage(BytesIn + BytesOut);

    /// <summary>Server-to-client HTTP-layer bytes per message delivered.</summary>
    public double? BytesOutPerMessage => PerMessage(BytesOut);

    /// <summary>Wire bytes both ways per message delivered.</summary>
    public double? WireBytesPerMessage => PerMessage(WireBytesIn + WireBytesOut);

    private double? PerMessage(long bytes) => MessagesOut == 0 ? null : Math.Round((double)bytes / MessagesOut, 2);

    public LatencyStats Latency { get; init; } = LatencyStats.Empty;

    /// <summary>The instances' own figures for the same traffic; only in a gateway's answer (<see cref="StatsSnapshot.Gateway"/>).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public UpstreamFigures? Upstream { get; init; }

    /// <summary>The counters these figures were filled from: the inverse of <see cref="Fill"/> (latency is an object of its own).</summary>
    internal long[] ToCounters()
    {
        var f = new long[WireCounters.Count];
        f[(int)Figure.Requests] = Requests;
        f[(int)Figure.BytesIn] = BytesIn;
        f[(int)Figure.BytesOut] = BytesOut;
        f[(int)Figure.MessagesIn] = MessagesIn;
        f[(int)Figure.MessagesOut] = MessagesOut;
        f[(int)Figure.MessagesResent] = MessagesResent;
        f[(int)Figure.PayloadBytesIn] = PayloadBytesIn;
        f[(int)Figure.PayloadBytesOut] = PayloadBytesOut;
        f[(int)Figure.FramesIn] = FramesIn;
        f[(int)Figure.FramesOut] = FramesOut;
        f[(int)Figure.ControlFramesIn] = ControlFramesIn;
        f[(int)Figure.ControlFramesOut] = ControlFramesOut;
        f[(int)Figure.FrameHeaderBytesIn] = FrameHeaderBytesIn;
        f[(int)Figure.FrameHeaderBytesOut] = FrameHeaderBytesOut;
        f[(int)Figure.FramePayloadBytesIn] = FramePayloadBytesIn;
        f[(int)Figure.FramePayloadBytesOut] = FramePayloadBytesOut;
        f[(int)Figure.CompressedMessagesIn] = CompressedMessagesIn;
        f[(int)Figure.CompressedMessagesOut] = CompressedMessagesOut;
        f[(int)Figure.TlsRecordBytesIn] = TlsRecordBytesIn;
        f[(int)Figure.TlsRecordBytesOut] = TlsRecordBytesOut;
        return f;
    }

    /// <summary>Copies the counters (indexed by <see cref="Figure"/>) into the properties.</summary>
    internal void Fill(long[] f)
    {
        Requests = f[(int)Figure.Requests];
        BytesIn = f[(int)Figure.BytesIn];
        BytesOut = f[(int)Figure.BytesOut];
        MessagesIn = f[(int)Figure.MessagesIn];
        MessagesOut = f[(int)Figure.MessagesOut];
        MessagesResent = f[(int)Figure.MessagesResent];
        PayloadBytesIn = f[(int)Figure.PayloadBytesIn];
        PayloadBytesOut = f[(int)Figure.PayloadBytesOut];
        FramesIn = f[(int)Figure.FramesIn];
        FramesOut = f[(int)Figure.FramesOut];
        ControlFramesIn = f[(int)Figure.ControlFramesIn];
        ControlFramesOut = f[(int)Figure.ControlFramesOut];
        FrameHeaderBytesIn = f[(int)Figure.FrameHeaderBytesIn];
        FrameHeaderBytesOut = f[(int)Figure.FrameHeaderBytesOut];
        FramePayloadBytesIn = f[(int)Figure.FramePayloadBytesIn];
        FramePayloadBytesOut = f[(int)Figure.FramePayloadBytesOut];
        CompressedMessagesIn = f[(int)Figure.CompressedMessagesIn];
        CompressedMessagesOut = f[(int)Figure.CompressedMessagesOut];
        TlsRecordBytesIn = f[(int)Figure.TlsRecordBytesIn];
        TlsRecordBytesOut = f[(int)Figure.TlsRecordBytesOut];
        WireBytesIn = BytesIn + TlsRecordBytesIn;
        WireBytesOut = BytesOut + TlsRecordBytesOut;
    }

    /// <summary>Adds a transport's connection figures to its wire layer.</summary>
    internal void AddConnectionWire(long bytesIn, long bytesOut)
    {
        WireBytesIn += bytesIn;
        WireBytesOut += bytesOut;
    }
}

public sealed class TransportStats : WireFigures
{
    /// <summary>The transport's name for people (the page's column heading).</summary>
    [JsonPropertyOrder(-1)] public required string Label { get; init; }

    /// <summary>Open TCP connections whose latest request was of this transport.</summary>
    public int Connections { get; init; }

    /// <summary>Open sessions, as the transport counts them.</summary>
    public int Sessions { get; init; }

    /// <summary>TLS handshake records (and ChangeCipherSpec, alerts, records whose plaintext never reached HTTP) of the connections it owns.</summary>
    public long TlsHandshakeBytesIn { get; init; }
    public long TlsHandshakeBytesOut { get; init; }

    /// <summary>HTTP/2 stream-0 frames (client preface, SETTINGS, PING, GOAWAY, connection WINDOW_UPDATE) of the connections it owns, HTTP layer.</summary>
    public long Http2ConnectionBytesIn { get; init; }
    public long Http2ConnectionBytesOut { get; init; }

    /// <summary>Requests by the protocol they came over: <c>http/1.1</c> (plaintext), <c>http/1.1+tls</c>, <c>h2+tls</c>.</summary>
    public required IReadOnlyDictionary<string, long> Protocols { get; init; }
}

public sealed class SessionStats : WireFigures
{
    [JsonPropertyOrder(-4)] public required string Key { get; init; }

    /// <summary>The transport that opened the session.</summary>
    [JsonPropertyOrder(-3)] public required string Transport { get; init; }
    [JsonPropertyOrder(-2)] public DateTimeOffset Opened { get; init; }
    [JsonPropertyOrder(-1)] public bool Open { get; init; }

    /// <summary>
    /// The session's figures by the transport that carried them, keyed by transport id, in the order each first carried
    /// it; the session's own figures are their sum (latency: count and mean per part, the max only for the whole).
    /// </summary>
    public IReadOnlyDictionary<string, SessionPartStats> Parts { get; init; } = new Dictionary<string, SessionPartStats>();
}

/// <summary>What one transport carried for a session (<see cref="SessionStats.Parts"/>).</summary>
public sealed class SessionPartStats : WireFigures
{
    /// <summary>A part from its counters (indexed by <see cref="Figure"/>): latency count and mean only.</summary>
    internal static SessionPartStats FromCounters(long[] f)
    {
        long count = f[(int)Figure.LatencyCount];
        var part = new SessionPartStats
        {
            Latency = count == 0 ? LatencyStats.Empty
                : new LatencyStats(count, Math.Round(f[(int)Figure.LatencySumMicroseconds] / 1000.0 / count, 3), null, null, null, null),
        };
        part.Fill(f);
        return part;
    }
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(StatsSnapshot))]
internal sealed partial class MeteringJson : JsonSerializerContext;

/// <summary>Where the figures are published: by every instance, and by a gateway for the browsers behind it.</summary>
public static class StatsRoutes
{
    /// <summary><c>GET /api/stats[?session=KEY]</c>.</summary>
    public const string Path = "/api/stats";

    /// <summary><c>POST /api/stats/reset</c>.</summary>
    public const string ResetPath = Path + "/reset";
}
