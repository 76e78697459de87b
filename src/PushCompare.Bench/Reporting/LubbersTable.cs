using PushCompare.Bench.Cli;
using PushCompare.Bench.Running;
using PushCompare.Bench.Transports;

namespace PushCompare.Bench.Reporting;

/// <summary>
/// Lubbers &amp; Greco (2010), "HTML5 Web Sockets: A Quantum Leap in Scalability for the Web": N clients each
/// receiving one message per second; polling costs 871 B of HTTP headers per message, WebSocket a 2-byte frame
/// header. Their "Mbps" are 2^20 bits per second. Here the same overhead is measured (bytes on the wire minus the
/// message payload) and printed beside theirs; the 100,000-client row is extrapolated from measured bytes per message.
/// Server-Sent Events, which the paper did not measure, get a row of their own with no 2010 figure.
/// </summary>
internal static class LubbersTable
{
    public const double PollingBytes2010 = 871;
    public const double WebSocketBytes2010 = 2;
    public const int ExtrapolatedClients = 100_000;
    private const double MebiBit = 1 << 20;

    /// <summary>
    /// Protocol overhead per delivered message at the HTTP layer, as the run's transport accounts it: WebSocket frame
    /// headers and ping/pong (HTTP/1.1), or everything around the payload (polling, SSE, and WebSocket over HTTP/2,
    /// whose frames ride in DATA frames).
    /// </summary>
    public static double? OverheadPerMessage(RunResult r) => Transport(r)?.OverheadPerMessage(r) ?? r.HttpOverheadPerMessage;

    /// <summary>The paper's bytes per message for a run's transport; null for one it did not consider (SSE).</summary>
    private static double? Bytes2010(string transport) => TransportCatalog.Find(transport)?.PaperBytesPerMessage;

    private static BenchTransport? Transport(RunResult r) => TransportCatalog.Find(r.Transport);

    private static double Mbps(double bytesPerSecond) => bytesPerSecond * 8 / MebiBit;

    public static ReportTable Build(BenchSettings settings, List<RunResult> runs)
    {
        double perClient = 1000.0 / settings.IntervalMs;
        string compression = settings.Compression ? "on" : "off";
        var rows = new List<IReadOnlyList<string>>();
        // With --cluster the same cases ran on two targets (the app alone, the cluster): a column says which.
        bool targets = runs.Select(r => r.Target).Distinct().Count() > 1;
        IEnumerable<string> TargetCell(string target) => targets ? [target] : [];
        foreach (var r in runs.OrderBy(r => r.Clients).ThenBy(r => r.Transport).ThenBy(r => r.Protocol).ThenBy(r => r.Headers).ThenBy(r => r.Target))
        {
            double? overhead = OverheadPerMessage(r);
            double? b2010 = Bytes2010(r.Transport);
            rows.Add([.. TargetCell(r.Target), Format.Int(r.Clients), r.Transport, r.Protocol, r.Headers, Format.Bytes(overhead), Format.Bytes(b2010),
                overhead is { } o ? Format.Sig3(Mbps(o * r.MessagesPerSecond)) : "-", b2010 is { } b ? Format.Sig3(Mbps(r.Clients * perClient * b)) : "-",
                Format.Int(r.BytesPerSecondUp + r.BytesPerSecondDown), Format.Sig3((r.BytesPerSecondUp + r.BytesPerSecondDown) * 8 / 1e6),
                compression, r.Ok ? "measured" : "measured, FAILED"]);
        }
        foreach (var g in runs.Where(r => r.Ok).GroupBy(r => (r.Transport, r.Protocol, r.Headers, r.Target)))
        {
            var basis = g.OrderByDescending(r => r.Clients).First();
            if (OverheadPerMessage(basis) is not { } overhead || basis.BytesPerMessageDown is not { } down || basis.BytesPerMessageUp is not { } up) continue;
            double? b2010 = Bytes2010(g.Key.Transport);
            double rate = ExtrapolatedClients * perClient;
            rows.Add([.. TargetCell(g.Key.Target), Format.Int(ExtrapolatedClients), g.Key.Transport, g.Key.Protocol, g.Key.Headers, Format.Bytes(overhead), Format.Bytes(b2010),
                Format.Sig3(Mbps(overhead * rate)), b2010 is { } b ? Format.Sig3(Mbps(rate * b)) : "-", Format.Int((up + down) * rate), Format.Sig3((up + down) * rate * 8 / 1e6),
                compression, $"extrapolated from C={basis.Clients:N0}"]);
        }
        return new ReportTable($"Lubbers & Greco (2010) beside measured bytes: each client receives one message per {settings.IntervalMs} ms",
            [.. TargetCell("target"), "clients", "transport", "protocol", "headers", "overhead B/msg", "2010 B/msg", "overhead Mbps (2^20)", "2010 Mbps (2^20)", "all bytes B/s", "all bytes Mbit/s (10^6)", "compression", "basis"],
            rows,
            [
                "Overhead = bytes on the wire (both ways) minus the message text: HTTP request and response with JSON around the message for polling; frame headers (2 B down) plus any ping/pong for WebSocket; for SSE the event's fields around the data (\"data: \", \"id: N\", line ends), its chunk's size line and CRLF, and the share of the ack POST each client sends every 100 events. The 2010 figures count only headers too (871 B per poll, 2 B per frame); the paper had no SSE figure.",
                "\"Mbps (2^20)\" is bits per second / 1,048,576, the paper's unit (871 B × 1,000 × 8 = 6.6). \"all bytes\" include the payload (tick text), in ordinary megabits (10^6).",
                "compression on (--compression): WebSocket frames are permessage-deflate (the overhead is still the frame headers; the smaller payload shows in \"all bytes\"), poll answers Brotli/gzip (overhead = wire bytes minus the message text, so it can shrink or grow).",
                "Short polling asks once per interval with wait=0; long polling holds each GET until a message comes. The 100,000 row multiplies the largest measured run's bytes per message; it was not run.",
            ]);
    }

    private static LayerBytes? Client(RunResult r) => r.Layers.FirstOrDefault(l => l.Source == "client");

    /// <summary>
    /// The matrix {HTTP/1.1, HTTP/1.1 + TLS, HTTP/2 + TLS} × {WebSocket, SSE, long polling, short polling}: overhead
    /// bytes per message (both directions, minus the message text) at the HTTP layer and at the wire, beside the 2010
    /// figure, one row per transport, client count, header profile and source of the figures. Every source in
    /// <see cref="RunResult.Layers"/> gets its rows: the client's counting streams now, the server's metering when it
    /// publishes both layers.
    /// </summary>
    public static ReportTable Matrix(BenchSettings settings, List<RunResult> runs)
    {
        var stacks = WireStack.All.Where(s => runs.Any(r => r.Protocol == s.Id)).ToList();
        bool targets = runs.Select(r => r.Target).Distinct().Count() > 1; // --cluster: the app alone and the cluster, apart
        var columns = new List<string> { "clients", "transport", "headers", "source" };
        if (targets) columns.Insert(0, "target");
        foreach (var s in stacks)
        {
            columns.Add($"{s.Label} HTTP B/msg");
            if (s.Tls) columns.Add($"{s.Label} wire B/msg");
        }
        columns.Add("2010 B/msg");
        var rows = new List<IReadOnlyList<string>>();
        var keys = runs.SelectMany(r => r.Layers.Select(l => (r.Clients, r.Transport, r.Headers, l.Source, r.Target))).Distinct()
            .OrderBy(k => k.Clients).ThenBy(k => TransportCatalog.Ids.ToList().IndexOf(k.Transport)).ThenBy(k => k.Headers).ThenBy(k => k.Source).ThenBy(k => k.Target);
        foreach (var key in keys)
        {
            var row = new List<string> { Format.Int(key.Clients), key.Transport, key.Headers, key.Source };
            if (targets) row.Insert(0, key.Target);
            foreach (var s in stacks)
            {
                var cellRuns = runs.Where(r => r.Clients == key.Clients && r.Transport == key.Transport && r.Headers == key.Headers && r.Protocol == s.Id && r.Target == key.Target).ToList();
                var cell = cellRuns.SelectMany(r => r.Layers.Where(l => l.Source == key.Source)).ToList();
                // A plaintext WebSocket's whole connections are accounted frame by frame: exact, where the window's bytes over
                // its messages can be a frame off at an edge (a frame read before the window, its message counted inside).
                bool exact = key.Source == "client" && !s.Tls && cellRuns.Count > 0 && cellRuns.All(r => r.WebSocket is not null);
                row.Add(Format.Bytes(exact ? cellRuns.Select(OverheadPerMessage).Average() : Average(cell, l => l.HttpOverheadPerMessage)));
                if (s.Tls) row.Add(Format.Bytes(Average(cell, l => l.WireOverheadPerMessage)));
            }
            row.Add(Format.Bytes(Bytes2010(key.Transport)));
            rows.Add(row);
        }
        var notes = new List<string>
        {
            "Overhead = bytes both ways minus the message text, per delivered message, in the measurement window. HTTP = above TLS (HTTP/1.1 text; HTTP/2 frames: 9-byte frame headers, HPACK-coded headers, WINDOW_UPDATE, PING, SETTINGS). Wire = TCP payload below TLS: each TLS 1.3 record adds 22 B (5 B header, 1 B content type, 16 B AEAD tag).",
            "Source \"client\": the bench's counting streams over its own connections (exact for them); figures the server meters itself (/api/stats version 3) get rows of their own when it publishes both layers.",
            "HTTP/2 requests are HPACK-coded by .NET's SocketsHttpHandler, which sends request headers as literals without adding them to the dynamic table, so with Chromium's headers the up direction is larger than Chromium's own (which indexes them); the down direction is Kestrel's HPACK, which a browser receives alike.",
        };
        if (Verdict(runs) is { } verdict) notes.Insert(0, verdict);
        return new ReportTable($"Overhead per message by protocol, HTTP layer and wire (each client receives one message per {settings.IntervalMs} ms)", columns, rows, notes);
    }

    /// <summary>
    /// One sentence for someone choosing today, from this invocation's own figures: what long polling costs per message
    /// against a WebSocket frame over HTTP/2 + TLS, beside the 2010 ratio. Null unless both were measured.
    /// </summary>
    public static string? Verdict(List<RunResult> runs)
    {
        double? Wire(string transport, string protocol) => Average(runs.Where(r => r.Ok && r.Transport == transport && r.Protocol == protocol)
            .OrderByDescending(r => r.Headers == "chromium").ThenByDescending(r => r.Clients).Take(1).SelectMany(r => r.Layers.Where(l => l.Source == "client")).ToList(),
            l => l.WireOverheadPerMessage);
        if (Wire("longpoll", "h2+tls") is not { } poll || Wire("websocket", "h2+tls") is not { } ws || ws <= 0) return null;
        string sse = Wire("sse", "h2+tls") is { } s ? $", SSE {Format.Bytes(s)} B" : "";
        return $"Choosing today: over HTTP/2 + TLS a long-polled message costs {Format.Bytes(poll)} B of overhead on the wire against {Format.Bytes(ws)} B for a WebSocket message{sse} " +
            $"({Format.Sig3(poll / ws)}× rather than 2010's {PollingBytes2010 / WebSocketBytes2010:0}×): " +
            (poll / ws < 20
                ? "HPACK and TLS framing have narrowed the gap, so bytes alone no longer decide; latency, connection count and proxies do."
                : "polling still costs an order of magnitude more bytes per message, so at scale the bytes still favour a push transport.");
    }

    private static double? Average(List<LayerBytes> cell, Func<LayerBytes, double?> f)
    {
        var values = cell.Select(f).Where(v => v is not null).Select(v => v!.Value).ToList();
        return values.Count > 0 ? values.Average() : null;
    }

    public static ChartSpec Chart(BenchSettings settings, List<RunResult> runs)
    {
        double perClient = 1000.0 / settings.IntervalMs;
        var bars = new List<ChartBar>();
        bool targets = runs.Select(r => r.Target).Distinct().Count() > 1;
        foreach (var r in runs.OrderBy(r => r.Clients).ThenBy(r => r.Transport))
        {
            if (OverheadPerMessage(r) is not { } overhead) continue;
            string label = $"{(targets ? r.Target + " " : "")}{r.Transport} {r.Protocol}{(r.Headers == "chromium" ? " (Chromium)" : "")} C={r.Clients:N0}";
            bars.Add(new ChartBar(label + " measured", Mbps(overhead * r.MessagesPerSecond), "measured"));
            if (Bytes2010(r.Transport) is { } b) bars.Add(new ChartBar(label + " 2010", Mbps(r.Clients * perClient * b), "Lubbers & Greco 2010"));
        }
        foreach (var g in runs.Where(r => r.Ok).GroupBy(r => (r.Transport, r.Protocol, r.Headers, r.Target)))
        {
            if (OverheadPerMessage(g.OrderByDescending(r => r.Clients).First()) is not { } overhead) continue;
            string label = $"{(targets ? g.Key.Target + " " : "")}{g.Key.Transport} {g.Key.Protocol}{(g.Key.Headers == "chromium" ? " (Chromium)" : "")} C={ExtrapolatedClients:N0}";
            bars.Add(new ChartBar(label + " extrapolated", Mbps(overhead * ExtrapolatedClients * perClient), "extrapolated from measured B/msg"));
            if (Bytes2010(g.Key.Transport) is { } b) bars.Add(new ChartBar(label + " 2010", Mbps(ExtrapolatedClients * perClient * b), "Lubbers & Greco 2010"));
        }
        return new ChartSpec("Protocol overhead, Mbps (2^20 bit/s), measured vs 2010", "Mbps", true, bars);
    }
}
