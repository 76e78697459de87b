using PushCompare.Metering;

namespace PushCompare.UnitTests.Metering;

/// <summary>
/// The gateway's <c>/api/stats</c>: its own figures for the browsers' connections, what only the instances count
/// (messages, payload, latency, open sessions) from their answers, and their own bytes as <c>upstream</c>.
/// </summary>
public sealed class GatewayStatsMergeTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 25, 15, 52, 0, TimeSpan.Zero);
    private static readonly Dictionary<string, SessionKeying> Keying = new()
    {
        ["websocket"] = SessionKeying.ClientChosen,
        ["longpoll"] = SessionKeying.ServerIssued,
    };

    [Fact]
    public void One_session_has_the_gateways_bytes_and_the_last_instances_messages_and_bytes_as_upstream()
    {
        var own = Snapshot([Transport("longpoll"), Transport("other")], [Session("k", "longpoll", requests: 4, bytesIn: 1_000, bytesOut: 600, framesIn: 0)]);
        // For ?session= each instance answers the sum over all of them; the one asked last has every share.
        var first = Snapshot([Transport("longpoll"), Transport("other")], [Session("k", "longpoll", requests: 3, bytesIn: 1_500, bytesOut: 800, messagesOut: 1, open: true)]);
        var last = Snapshot([Transport("longpoll"), Transport("other")], [Session("k", "longpoll", requests: 4, bytesIn: 2_000, bytesOut: 900, messagesIn: 2, messagesOut: 2, open: false,
            latency: new LatencyStats(2, 5, null, null, null, 8))]);
        var noShare = Snapshot([Transport("longpoll"), Transport("other")], []);

        var merged = GatewayStats.Merge(own, [first, noShare, last], asked: 3, sessionKey: "k", Keying);

        var session = Assert.Single(merged.Sessions);
        Assert.Equal((4, 1_000, 600), (session.Requests, session.BytesIn, session.BytesOut)); // the browser's, as the gateway metered them
        Assert.Equal((1_000, 600), (session.WireBytesIn, session.WireBytesOut));
        Assert.Equal((2, 2), (session.MessagesIn, session.MessagesOut)); // the last answer's, not a sum of sums
        Assert.Equal(new LatencyStats(2, 5, null, null, null, 8), session.Latency);
        Assert.False(session.Open); // the session's state is the instances'
        Assert.Equal((4, 2_000, 900), (session.Upstream!.Requests, session.Upstream.BytesIn, session.Upstream.BytesOut));
        Assert.Null(session.Upstream.Connections);
        Assert.Equal(1_000.0 / 2 + 600.0 / 2, session.BytesPerMessage);
        Assert.Equal(new GatewayStatsInfo(3, 3), merged.Gateway);
    }

    [Fact]
    public void Without_a_session_asked_for_each_instances_share_is_added_up()
    {
        var own = Snapshot([Transport("longpoll"), Transport("other")], [Session("k", "longpoll", requests: 2, bytesIn: 500, bytesOut: 300)]);
        var a = Snapshot([Transport("longpoll"), Transport("other")], [Session("k", "longpoll", requests: 1, bytesIn: 400, bytesOut: 200, messagesOut: 1, open: true)]);
        var b = Snapshot([Transport("longpoll"), Transport("other")], [Session("k", "longpoll", requests: 1, bytesIn: 300, bytesOut: 250, messagesOut: 2, open: false)]);

        var session = Assert.Single(GatewayStats.Merge(own, [a, b], asked: 2, sessionKey: null, Keying).Sessions);

        Assert.Equal((2, 500, 300), (session.Requests, session.BytesIn, session.BytesOut));
        Assert.Equal(3, session.MessagesOut);
        Assert.True(session.Open); // the opener's share holds it open
        Assert.Equal((2, 700, 450), (session.Upstream!.Requests, session.Upstream.BytesIn, session.Upstream.BytesOut));
    }

    [Fact]
    public void A_session_only_the_instances_know_is_not_listed_and_one_no_instance_knows_has_no_upstream()
    {
        var own = Snapshot([Transport("longpoll"), Transport("other")], [Session("mine", "longpoll", requests: 1, bytesIn: 100, bytesOut: 50, open: true)]);
        var instance = Snapshot([Transport("longpoll"), Transport("other")], [Session("theirs", "longpoll", requests: 9, bytesIn: 900, bytesOut: 900, messagesOut: 3)]);

        var merged = GatewayStats.Merge(own, [instance], asked: 1, sessionKey: null, Keying);

        var session = Assert.Single(merged.Sessions); // no browser figures for "theirs": the gateway never saw it
        Assert.Equal("mine", session.Key);
        Assert.Equal(0, session.MessagesOut);
        Assert.Null(session.Upstream);
        Assert.True(session.Open);
    }

    [Fact]
    public void Transports_keep_the_gateways_wire_figures_and_connections_and_add_up_the_instances_messages()
    {
        var own = Snapshot([
            Transport("websocket", connections: 2, requests: 2, bytesIn: 1_200, bytesOut: 800, framesIn: 6, tlsHandshakeIn: 300),
            Transport("longpoll", connections: 1, requests: 10, bytesIn: 5_000, bytesOut: 2_000),
            Transport("other", connections: 3, requests: 5, bytesIn: 2_000, bytesOut: 90_000)], []);
        var a = Snapshot([
            Transport("websocket", connections: 1, sessions: 1, requests: 1, bytesIn: 900, bytesOut: 400, framesIn: 3, messagesIn: 2, messagesOut: 2,
                latency: new LatencyStats(2, 1, 1, 1, 1, 1.5)),
            Transport("longpoll", connections: 4, sessions: 3, requests: 6, bytesIn: 4_000, bytesOut: 1_500, messagesOut: 4,
                latency: new LatencyStats(4, 10, 9, 12, 14, 15)),
            Transport("other", requests: 40, bytesIn: 4_000, bytesOut: 9_000)], []);
        var b = Snapshot([
            Transport("websocket", connections: 1, sessions: 1, requests: 1, bytesIn: 950, bytesOut: 420, messagesIn: 1, messagesOut: 1,
                latency: new LatencyStats(1, 4, 4, 4, 4, 4)),
            Transport("longpoll", connections: 2, sessions: 3, requests: 4, bytesIn: 3_000, bytesOut: 1_000, messagesOut: 6),
            Transport("other", requests: 41, bytesIn: 4_100, bytesOut: 9_100)], []);

        var merged = GatewayStats.Merge(own, [a, b], asked: 2, sessionKey: null, Keying);

        var ws = merged.Transports["websocket"];
        Assert.Equal((2, 2, 1_200, 800, 6), (ws.Connections, ws.Requests, ws.BytesIn, ws.BytesOut, ws.FramesIn));
        Assert.Equal(300, ws.TlsHandshakeBytesIn);
        Assert.Equal(1_200 + 300, ws.WireBytesIn); // the gateway's wire: its handshakes too
        Assert.Equal((3, 3), (ws.MessagesIn, ws.MessagesOut));
        Assert.Equal(2, ws.Sessions); // a client-chosen key is one instance's connection: summed
        Assert.Equal(new LatencyStats(3, 2, null, null, null, 4), ws.Latency); // (2·1 + 1·4) / 3; no percentiles across instances
        Assert.Equal((2, 1_850, 820, 2), (ws.Upstream!.Requests, ws.Upstream.BytesIn, ws.Upstream.BytesOut, ws.Upstream.Connections));

        var lp = merged.Transports["longpoll"];
        Assert.Equal(3, lp.Sessions); // server-issued: every instance counts the shared store's sessions
        Assert.Equal(10, lp.MessagesOut);
        Assert.Equal(new LatencyStats(4, 10, 9, 12, 14, 15), lp.Latency); // one instance delivered: its latency as it is
        Assert.Equal(6, lp.Upstream!.Connections);

        Assert.Equal(["websocket", "longpoll", "other"], merged.Transports.Keys);
        Assert.Equal((5, 90_000, 81), (merged.Transports["other"].Requests, merged.Transports["other"].BytesOut, merged.Transports["other"].Upstream!.Requests));
    }

    [Fact]
    public void Transports_follow_the_instances_order_with_the_gateways_own_before_other()
    {
        var own = Snapshot([Transport("sse", label: "sse"), Transport("other")], []);
        var instance = Snapshot([Transport("websocket", label: "WebSocket"), Transport("sse", label: "Server-Sent Events"), Transport("other")], []);

        var merged = GatewayStats.Merge(own, [instance], asked: 1, sessionKey: null, Keying);

        Assert.Equal(["websocket", "sse", "other"], merged.Transports.Keys);
        Assert.Equal("Server-Sent Events", merged.Transports["sse"].Label); // the instances name their transports

        var alone = GatewayStats.Merge(own, [], asked: 3, sessionKey: null, Keying);
        Assert.Equal(["sse", "other"], alone.Transports.Keys);
        Assert.Equal(new GatewayStatsInfo(3, 0), alone.Gateway);
        Assert.Null(alone.Transports["sse"].Upstream); // nobody answered: no upstream figures, rather than zeros
    }

    private static StatsSnapshot Snapshot((string Id, TransportStats Stats)[] transports, SessionStats[] sessions) =>
        new(StatsSnapshot.CurrentVersion, true, T0, T0.AddSeconds(5), transports.ToDictionary(t => t.Id, t => t.Stats), sessions, sessions.Length, 0);

    private static (string, TransportStats) Transport(string id, string? label = null, int connections = 0, int sessions = 0, long requests = 0,
        long bytesIn = 0, long bytesOut = 0, long framesIn = 0, long messagesIn = 0, long messagesOut = 0, long tlsHandshakeIn = 0, LatencyStats? latency = null)
    {
        var stats = new TransportStats
        {
            Label = label ?? id,
            Connections = connections,
            Sessions = sessions,
            TlsHandshakeBytesIn = tlsHandshakeIn,
            Protocols = new Dictionary<string, long> { ["http/1.1"] = requests, ["http/1.1+tls"] = 0, ["h2+tls"] = 0 },
            Latency = latency ?? LatencyStats.Empty,
        };
        stats.Fill(Figures(requests, bytesIn, bytesOut, framesIn, messagesIn, messagesOut));
        stats.AddConnectionWire(tlsHandshakeIn, 0);
        return (id, stats);
    }

    private static SessionStats Session(string key, string transport, long requests = 0, long bytesIn = 0, long bytesOut = 0, long framesIn = 0,
        long messagesIn = 0, long messagesOut = 0, bool open = false, LatencyStats? latency = null)
    {
        var stats = new SessionStats { Key = key, Transport = transport, Opened = T0, Open = open, Latency = latency ?? LatencyStats.Empty };
        stats.Fill(Figures(requests, bytesIn, bytesOut, framesIn, messagesIn, messagesOut));
        return stats;
    }

    private static long[] Figures(long requests, long bytesIn, long bytesOut, long framesIn, long messagesIn, long messagesOut)
    {
        var f = new long[WireCounters.Count];
        f[(int)Figure.Requests] = requests;
        f[(int)Figure.BytesIn] = bytesIn;
        f[(int)Figure.BytesOut] = bytesOut;
        f[(int)Figure.FramesIn] = framesIn;
        f[(int)Figure.MessagesIn] = messagesIn;
        f[(int)Figure.MessagesOut] = messagesOut;
        return f;
    }
}
