using PushCompare.Bench.Cli;
using PushCompare.Bench.Running;
using PushCompare.Bench.Transports;

namespace PushCompare.Bench.Reporting;

/// <summary>Turns the runs of one invocation into the tables and chart of its report.</summary>
internal static class SummaryBuilder
{
    public static IReadOnlyList<ReportTable> Tables(BenchSettings settings, IReadOnlyList<RunResult> runs)
    {
        var measured = runs.Where(r => r.Skipped is null).ToList();
        // A switch run's results are pairs of transports, not runs of one: its own table says everything.
        if (settings.Scenario == "switch") return [Switch(settings, measured)];
        var tables = new List<ReportTable> { RunsTable(settings, runs) };
        switch (settings.Scenario)
        {
            case "echo" when settings.Rates.Count > 0:
                tables.Add(HighestHeldRate(settings, measured));
                break;
            case "echo":
                tables.Add(CpuPerThousand(measured));
                break;
            case "lubbers":
                tables.Add(LubbersTable.Build(settings, measured));
                tables.Add(LubbersTable.Matrix(settings, measured));
                break;
            case "idle":
                tables.Add(IdleMemory(measured));
                break;
            case "first-message":
                tables.Add(FirstMessage(settings, measured));
                break;
        }
        if (measured.Select(r => r.Protocol).Distinct().Count() > 1 && settings.Rates.Count == 0) tables.Add(StackCost(settings, measured));
        if (measured.Select(r => r.Target).Distinct().Count() > 1 && settings.Rates.Count == 0) tables.Add(ByTarget(measured));
        tables.AddRange(ClusterTables.For(settings, measured));
        if (measured.Any(r => r.WebSocket is not null)) tables.Add(WebSocketBytes(measured));
        if (measured.Any(r => r.Sse is not null)) tables.Add(SseBytes(measured));
        return tables;
    }

    private static ReportTable RunsTable(BenchSettings settings, IReadOnlyList<RunResult> runs)
    {
        bool rounds = settings.Rounds > 1;
        bool polling = runs.Any(r => TransportCatalog.Find(r.Transport)?.CountsRequests ?? true);
        bool tls = runs.Any(r => r.Protocol != "h1");
        var columns = new List<string>();
        if (rounds) columns.Add("round");
        columns.AddRange(["target", "transport", "protocol", "headers", "clients"]);
        if (settings.Scenario == "idle")
        {
            columns.AddRange(["connected", "server RSS baseline MB", "server RSS end MB", "KB per connection", "result"]);
        }
        else
        {
            if (settings.Rates.Count > 0) columns.Add("offered/s");
            columns.AddRange([settings.Scenario == "echo" ? "round trips/s" : "delivered/s", "p50 ms", "p90 ms", "p99 ms", "max ms",
                "lost", "B/msg up", "B/msg down"]);
            if (tls) columns.AddRange(["wire B/msg up", "wire B/msg down"]);
            if (polling) columns.AddRange(["requests/msg", "HTTP overhead B/msg"]);
            columns.AddRange(["server CPU ms/1k", "server CPU", "client CPU", "client alloc B/msg", "result"]);
        }

        var rows = new List<IReadOnlyList<string>>();
        foreach (var r in runs)
        {
            var row = new List<string>();
            if (rounds) row.Add(r.Round.ToString(System.Globalization.CultureInfo.InvariantCulture));
            row.AddRange([r.Target, r.Transport, r.Protocol, r.Headers, Format.Int(r.Clients)]);
            if (settings.Scenario == "idle")
            {
                row.AddRange([Format.Int(r.ClientsConnected), Format.Mb(r.Server?.RssBaselineBytes), Format.Mb(r.Server?.RssEndBytes),
                    r.Server?.RssPerConnectionBytes is { } b ? Format.Bytes(b / 1024) : "-", Outcome(r)]);
            }
            else
            {
                if (settings.Rates.Count > 0) row.Add(r.OfferedRate is { } o ? Format.Int(o) : "-");
                row.AddRange([Format.Int(r.MessagesPerSecond), Format.Ms(r.Latency?.P50Ms), Format.Ms(r.Latency?.P90Ms), Format.Ms(r.Latency?.P99Ms),
                    Format.Ms(r.Latency?.MaxMs), Format.Int(r.Totals.Lost), Format.Bytes(r.BytesPerMessageUp), Format.Bytes(r.BytesPerMessageDown)]);
                if (tls) row.AddRange([Format.Bytes(r.WireBytesPerMessageUp), Format.Bytes(r.WireBytesPerMessageDown)]);
                if (polling) row.AddRange([r.RequestsPerMessage is { } q ? q.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture) : "-", Format.Bytes(r.HttpOverheadPerMessage)]);
                row.AddRange([Format.Ms(r.Server?.CpuMsPer1000Messages), Format.Percent(r.Server?.CpuPercent), Format.Percent(r.Skipped is null ? r.ClientCpuPercent : null),
                    Format.Bytes(r.ClientAllocatedBytesPerMessage), Outcome(r)]);
            }
            rows.Add(row);
        }
        var notes = new List<string>
        {
            "Bytes are counted by the client on its sockets (TCP payload: HTTP headers and bodies, WebSocket frames; no TCP/IP headers) over the measurement window, divided by the messages completed in it.",
        };
        if (tls)
        {
            notes.Add("Over TLS \"B/msg\" is the HTTP layer (above TLS: HTTP/1.1 text, or HTTP/2 frames with HPACK) and \"wire B/msg\" the TCP payload below it (TLS records). " +
                "h2+tls runs use SocketsHttpHandler with HTTP/2 exactly; WebSocket over HTTP/2 is RFC 8441 (extended CONNECT). The client accepts the app's self-signed certificate on loopback only.");
        }
        if (settings.Scenario == "push" || settings.Scenario == "lubbers")
            notes.Add("Push latency is client receipt minus the server's whole-millisecond timestamp (same clock), so it reads up to 1 ms high.");
        if (settings.Broadcast)
        {
            notes.Add($"Broadcast: one publisher POSTed 'tick <n> <unix ms>' to /topics/{BenchSettings.BroadcastTopic} every {settings.IntervalMs} ms and every client " +
                "subscribed with topic=: latency is the publisher's timestamp to receipt, lost counts sequence gaps per subscriber and a duplicate fails the run. " +
                "The publisher's own requests are not in the bytes.");
            notes.AddRange(runs.Where(r => r.Broadcast is not null).Select(r =>
                $"{r.Target} {r.Transport} C={r.Clients}: {r.Broadcast!.Published} publishes accepted ({r.Broadcast.Refused} refused), each handed to {r.Broadcast.MinSubscribers}–{r.Broadcast.MaxSubscribers} " +
                (r.TargetKind == "cluster" && TransportCatalog.Find(r.Transport) is { BroadcastReachByInstance: true } ? "instances holding the WebSocket subscribers (with Redis a publish counts sessions and instances, not sockets)." : "subscribers.")));
        }
        if (settings.Rates.Count > 0)
            notes.Add("Open loop: latency runs from the moment each message was due, so a server that falls behind shows as latency.");
        notes.AddRange(TransportCatalog.All.Where(t => t.RunsNote is not null && runs.Any(r => r.Transport == t.Id)).Select(t => t.RunsNote!));
        notes.AddRange(settings.UnmeasuredTransports.Select(Running.BenchRunner.UnmeasuredNote));
        // The terminal shows the columns a person decides on; the report written with --out has them all.
        string rate = settings.Scenario == "echo" ? "round trips/s" : "delivered/s";
        string[] brief = ["round", "target", "transport", "protocol", "clients", "offered/s", rate, "p50 ms", "p99 ms", "lost", "B/msg up", "B/msg down",
            "server CPU", "connected", "KB per connection", "result"];
        if (runs.Select(r => r.Target).Distinct().Count() == 1) brief = [.. brief.Where(c => c != "target")];
        if (runs.Select(r => r.Headers).Distinct().Count() > 1) brief = [.. brief, "headers"];
        return new ReportTable($"Runs (request headers: {HeaderSets(runs)})", columns, rows, notes) { Brief = [.. columns.Where(brief.Contains)] };
    }

    /// <summary>The request-header sets of the runs, in words, for the runs table's title.</summary>
    private static string HeaderSets(IReadOnlyList<RunResult> runs) => string.Join(" and ", runs.Select(r => r.Headers).Distinct().Select(h => h switch
    {
        "minimal" => "minimal on every transport (Host; Content-Length and Content-Type on a POST; the WebSocket upgrade's required ones)",
        "chromium" => "Chromium's (what the browser sends with fetch(), EventSource and the WebSocket upgrade)",
        "node" => "the Node ws client's",
        _ => h,
    }));

    private static string Outcome(RunResult r) =>
        r.Skipped is { } s ? $"skipped: {s}"
        : !r.Ok ? $"FAILED: {r.Problems[0]}"
        : r.Held is { } held ? (held ? "held" : "not held")
        : "ok";

    private static ReportTable HighestHeldRate(BenchSettings settings, List<RunResult> runs)
    {
        var rows = new List<IReadOnlyList<string>>();
        var best = runs.GroupBy(r => (r.Target, r.Transport, r.Protocol, r.Headers, r.Clients))
            .Select(g => (g.Key, Best: g.Where(r => r.Held == true).OrderByDescending(r => r.OfferedRate).FirstOrDefault()))
            .ToList();
        foreach (var (key, run) in best)
        {
            var peer = best.FirstOrDefault(b => b.Key.Target == "node-ws" && b.Key.Transport == key.Transport && b.Key.Protocol == key.Protocol && b.Key.Clients == key.Clients).Best;
            double? ratio = run?.OfferedRate is { } mine && peer?.OfferedRate is { } theirs && key.Target != "node-ws" ? mine / theirs : null;
            rows.Add([key.Target, key.Transport, key.Protocol, key.Headers, Format.Int(key.Clients), run?.OfferedRate is { } rate ? Format.Int(rate) : "none held",
                Format.Ms(run?.Latency?.P99Ms), Format.Ratio(ratio)]);
        }
        return new ReportTable($"Highest offered rate held (p99 ≤ {Format.Ms(settings.P99LimitMs)} ms, ≥ 97% of it delivered, no errors)",
            ["target", "transport", "protocol", "headers", "clients", "highest rate held/s", "p99 ms there", "vs node-ws"], rows,
            ["\"vs node-ws\" is this server's highest held rate divided by the Node ws reference server's, same clients and message size: above 1 means this server holds more."]);
    }

    /// <summary>
    /// first-message: per transport and protocol, the time from nothing to the first reply (and in round trips of the
    /// link), and what it took: TCP connections, HTTP requests, bytes at the HTTP layer and on the wire, per first message.
    /// </summary>
    internal static ReportTable FirstMessage(BenchSettings settings, List<RunResult> runs)
    {
        double rttMs = settings.Link.RoundTrip.TotalMilliseconds;
        var rows = new List<IReadOnlyList<string>>();
        foreach (var r in runs.Where(r => r.Window.Received > 0))
        {
            double n = r.Window.Received;
            var t = r.WindowTraffic;
            rows.Add([r.Target, r.Transport, r.Protocol, r.Headers, Format.Int(n), Format.Ms(r.Latency?.P50Ms), Format.Ms(r.Latency?.P99Ms),
                rttMs > 0 && r.Latency is { } l ? (l.P50Ms / rttMs).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) : "-",
                Format.Bytes(t.Connections / n), Format.Bytes(r.Window.Requests / n), Format.Bytes(t.Up / n), Format.Bytes(t.Down / n),
                Format.Bytes(t.WireUp / n), Format.Bytes(t.WireDown / n)]);
        }
        return new ReportTable($"Time to first message (link: {settings.LinkText})",
            ["target", "transport", "protocol", "headers", "first messages", "p50 ms", "p99 ms", "p50 in round trips", "TCP connections", "requests",
                "B up", "B down", "wire B up", "wire B down"], rows,
            ["From nothing to the first reply: connect (TCP; the link charges a round trip for the handshake), TLS, the WebSocket upgrade or the " +
                "session's POST (SSE: and its stream's GET), one message sent and its reply received. One client after another, each with new " +
                "connections; one unrecorded first message before them takes first-use code (JIT) out. Connections, requests and bytes are per " +
                "first message, up to its reply and the send's own answer (closing is not in them; a long-polling client may have sent its next GET)."]);
    }

    /// <summary>switch: per ordered pair of transports, from the first's death to the next message on the second.</summary>
    internal static ReportTable Switch(BenchSettings settings, List<RunResult> runs)
    {
        var rows = new List<IReadOnlyList<string>>();
        foreach (var r in runs)
        {
            string[] pair = r.Transport.Split('→');
            rows.Add([r.Target, pair[0], pair.Length > 1 ? pair[1] : "", r.Protocol, Format.Int(r.Totals.Received), Format.Ms(r.Latency?.P50Ms),
                Format.Ms(r.Latency?.P90Ms), Format.Ms(r.Latency?.MaxMs), Format.Int(r.Totals.Lost), Format.Int(r.Totals.Duplicates), Outcome(r)]);
        }
        var notes = new List<string>
        {
            $"One session (POST /poll?push={settings.IntervalMs}) moved between readers: each processes {Running.SwitchRun.MessagesPerReader} messages and is " +
            "killed (connection aborted, no close, no DELETE) on receipt of the next, which was then in flight and is not processed; the next reader " +
            "attaches from the last processed number (a poll's cursor, Last-Event-ID, /ws?session=&cursor=). Time: from the death to that message " +
            "delivered again on the new transport (connect, attach, redelivery). Lost: gaps in the numbers; duplicated: a number already processed.",
        };
        notes.AddRange(runs.Select(r => (r.Target, r.Protocol, r.Window.Received)).Distinct()
            .Select(s => $"{s.Target} {s.Protocol}: {Format.Int(s.Received)} messages processed by the session, each once and in order unless a row says otherwise."));
        return new ReportTable($"Transport switch: death to next message (link: {settings.LinkText})",
            ["target", "from", "to", "protocol", "switches", "p50 ms", "p90 ms", "max ms", "lost", "duplicated", "result"], rows, notes);
    }

    private static ReportTable CpuPerThousand(List<RunResult> runs)
    {
        var rows = new List<IReadOnlyList<string>>();
        foreach (var g in runs.GroupBy(r => (r.Target, r.Transport, r.Protocol, r.Headers, r.Clients)))
        {
            double rate = g.Average(r => r.MessagesPerSecond);
            double? cpu = g.All(r => r.Server?.CpuMsPer1000Messages is not null) ? g.Average(r => r.Server!.CpuMsPer1000Messages!.Value) : null;
            var peer = runs.Where(r => r.Target == "node-ws" && r.Transport == g.Key.Transport && r.Protocol == g.Key.Protocol && r.Clients == g.Key.Clients && r.Server?.CpuMsPer1000Messages is not null).ToList();
            double? ratio = cpu is { } c && peer.Count > 0 && g.Key.Target != "node-ws" ? c / peer.Average(r => r.Server!.CpuMsPer1000Messages!.Value) : null;
            rows.Add([g.Key.Target, g.Key.Transport, g.Key.Protocol, g.Key.Headers, Format.Int(g.Key.Clients), Format.Int(rate), Format.Ms(cpu), Format.Ratio(ratio)]);
        }
        return new ReportTable("Server CPU time per 1,000 round trips (closed loop)",
            ["target", "transport", "protocol", "headers", "clients", "round trips/s", "server CPU ms per 1k", "vs node-ws"], rows,
            ["CPU time is utime + stime of the server process from /proc over the window. \"vs node-ws\" is this server's CPU time per round trip divided by the Node ws reference server's: below 1 means this server spends less."]);
    }

    /// <summary>
    /// What TLS and HTTP/2 cost per message against plaintext HTTP/1.1 of the same transport in the same invocation (the
    /// machine is shared, so only ratios within one run are compared): server CPU per message, and for idle runs server
    /// memory per connection; wire bytes per message beside them.
    /// </summary>
    internal static ReportTable StackCost(BenchSettings settings, List<RunResult> runs)
    {
        bool idle = settings.Scenario == "idle";
        var rows = new List<IReadOnlyList<string>>();
        foreach (var g in runs.GroupBy(r => (r.Target, r.Transport, Chromium: r.Headers == "chromium", r.Clients)))
        {
            var plain = g.Where(r => r.Protocol == "h1").ToList();
            foreach (var stack in g.GroupBy(r => r.Protocol))
            {
                double? Mean(IEnumerable<RunResult> rs, Func<RunResult, double?> f) => rs.Select(f).Where(v => v is not null).Select(v => v!.Value).DefaultIfEmpty(double.NaN).Average() is var m && !double.IsNaN(m) ? m : null;
                Func<RunResult, double?> figure = idle ? r => r.Server?.RssPerConnectionBytes / 1024 : r => r.Server?.CpuMsPer1000Messages;
                double? mine = Mean(stack, figure), theirs = Mean(plain, figure);
                double? ratio = mine is { } a && theirs is { } b && b > 0 && stack.Key != "h1" ? a / b : null;
                rows.Add([g.Key.Target, g.Key.Transport, stack.Key, stack.First().Headers, Format.Int(g.Key.Clients), Format.Int(stack.Count()),
                    idle ? Format.Bytes(mine) : Format.Ms(mine), Format.Ratio(ratio),
                    Format.Bytes(Mean(stack, r => r.BytesPerMessageUp + r.BytesPerMessageDown)), Format.Bytes(Mean(stack, r => r.WireBytesPerMessageUp + r.WireBytesPerMessageDown))]);
            }
        }
        return new ReportTable(idle ? "Server memory per idle connection by protocol (ratio to plaintext HTTP/1.1, same invocation)" : "Server CPU per message by protocol (ratio to plaintext HTTP/1.1, same invocation)",
            ["target", "transport", "protocol", "headers", "clients", "runs", idle ? "KB per connection" : "server CPU ms per 1k msgs", "vs h1", "HTTP B/msg", "wire B/msg"], rows,
            [idle ? "KB per connection: server RSS over the warm baseline (warmed over the same protocol), divided by the connections (HTTP/2: one client per connection unless --clients-per-connection)."
                  : "Server CPU: utime + stime from /proc over the window, per 1,000 messages delivered (push) or round trips (echo). Ratios compare runs of one invocation, made one after another on the same machine: use --rounds to alternate and average them."]);
    }

    private static ReportTable ByTarget(List<RunResult> runs)
    {
        var groups = runs.GroupBy(r => (r.Transport, r.Protocol, r.Headers, r.Clients)).ToList();
        var rows = new List<IReadOnlyList<string>>();
        foreach (var g in groups)
        {
            var perTarget = g.GroupBy(r => r.Target).Select(t => (Target: t.Key, Runs: t.ToList(), Mean: t.Average(r => r.MessagesPerSecond))).ToList();
            double first = perTarget[0].Mean;
            foreach (var (target, list, mean) in perTarget)
            {
                double? cost = first > 0 && target != perTarget[0].Target ? 100 * (first - mean) / first : null;
                rows.Add([target, g.Key.Transport, g.Key.Protocol, g.Key.Headers, Format.Int(g.Key.Clients), Format.Int(list.Count), Format.Int(mean),
                    Format.Int(list.Min(r => r.MessagesPerSecond)), Format.Int(list.Max(r => r.MessagesPerSecond)),
                    Format.Ms(list.Average(r => r.Latency?.P99Ms ?? 0)), Format.Percent(cost)]);
            }
        }
        return new ReportTable("By target (mean over rounds, targets alternated within each round)",
            ["target", "transport", "protocol", "headers", "clients", "runs", "mean msgs/s", "min", "max", "mean p99 ms", "throughput cost vs first target"], rows,
            ["\"throughput cost vs first target\" is how much lower each target's mean rate is than the first target's, in percent. What metering costs, for example: " +
                "--variant off=Metering:Enabled=false --variant on=Metering:Enabled=true (the first variant is the reference)."]);
    }

    private static ReportTable IdleMemory(List<RunResult> runs)
    {
        var rows = runs.Select(r => (IReadOnlyList<string>)[r.Target, r.Transport, r.Protocol, Format.Int(r.ClientsConnected), Format.Mb(r.Server?.RssBaselineBytes),
            Format.Mb(r.Server?.RssEndBytes), r.Server?.RssPerConnectionBytes is { } b ? Format.Bytes(b / 1024) : "-",
            r.Server?.RssPerConnectionBytes is { } c ? (c <= 16 * 1024 ? "yes" : "no") : "-"]).ToList();
        return new ReportTable("Server memory per idle connection (RSS over the idle baseline, divided)",
            ["target", "transport", "protocol", "connections", "baseline MB", "with connections MB", "KB each", "≤ 16 KB"], rows,
            ["Baseline: RSS after one warm-up round trip per transport. WebSocket: open connections; long polling: sessions each with a held GET; SSE: sessions each with an open stream."]);
    }

    private static ReportTable WebSocketBytes(List<RunResult> runs)
    {
        var rows = runs.Where(r => r.WebSocket is not null).Select(r =>
        {
            var w = r.WebSocket!;
            return (IReadOnlyList<string>)[r.Target, r.Headers, Format.Int(r.Clients), Format.Int(w.Connections),
                Format.Bytes((double)w.HandshakeBytesUp / w.Connections), Format.Bytes((double)w.HandshakeBytesDown / w.Connections),
                Format.Int(w.FramesDown.DataMessages), Format.Bytes(w.PayloadBytesPerMessageDown), Format.Bytes(w.HeaderBytesPerMessageDown),
                Format.Bytes(w.HeaderBytesPerMessageUp), Format.Int(w.FramesDown.ControlFrames + w.FramesUp.ControlFrames), Format.Int(w.UnaccountedBytes)];
        }).ToList();
        return new ReportTable("WebSocket bytes, whole connections (exact)",
            ["target", "headers", "clients", "closed cleanly", "handshake B up", "handshake B down", "messages down", "payload B/msg down",
             "frame header B/msg down", "frame header B/msg up", "ping/pong frames", "unaccounted B"], rows,
            ["Every byte of each cleanly closed connection is either its HTTP upgrade or a frame (RFC 6455 §5.2): data-frame headers, payloads, ping/pong frames, and one close frame each way. A payload under 126 B costs 2 B down and 6 B up."]);
    }

    private static ReportTable SseBytes(List<RunResult> runs)
    {
        var rows = runs.Where(r => r.Sse is not null).Select(r =>
        {
            var s = r.Sse!;
            var c = s.Counts;
            return (IReadOnlyList<string>)[r.Target, r.Headers, Format.Int(r.Clients), Format.Int(s.Streams), Format.Int(s.Reconnects),
                Format.Bytes((double)s.HeadBytesDown / s.Streams), Format.Int(c.MessageEvents), Format.Bytes(s.PayloadBytesPerMessage),
                Format.Bytes(s.EventFramingBytesPerMessage), Format.Bytes(s.ChunkFramingBytesPerMessage), Format.Int(c.OtherEvents),
                Format.Int(c.OtherEventBytes), Format.Int(s.UnaccountedBytes)];
        }).ToList();
        return new ReportTable("SSE bytes, whole streams (exact)",
            ["target", "headers", "clients", "streams ended cleanly", "reconnects", "response head B", "message events", "payload B/msg",
             "event framing B/msg", "chunk framing B/msg", "other events", "other event B", "unaccounted B"], rows,
            ["Every body byte of each stream that ended with its last chunk (after the client's DELETE) is chunk framing (size line, CRLF, the last chunk), a message event's data (payload) or its framing (\"data: \", \"id: N\", line ends, the blank line), or another event (heartbeats). Chunk framing per message includes the heartbeats' chunks and the last chunk."]);
    }

    public static ChartSpec Chart(BenchSettings settings, IReadOnlyList<RunResult> runs)
    {
        var measured = runs.Where(r => r.Skipped is null && r.Ok).ToList();
        string Label(RunResult r) => $"{r.Target} {r.Transport}{(r.Headers == "chromium" ? " (Chromium)" : "")} C={r.Clients}" +
            (r.OfferedRate is { } o ? $" @{o:0}/s" : "") + (settings.Rounds > 1 ? $" #{r.Round}" : "");
        return settings.Scenario switch
        {
            "lubbers" => LubbersTable.Chart(settings, measured),
            "idle" => new ChartSpec("Server memory per idle connection", "KB", false,
                [.. measured.Where(r => r.Server?.RssPerConnectionBytes is not null).Select(r => new ChartBar(Label(r), r.Server!.RssPerConnectionBytes!.Value / 1024, r.Transport))]),
            "echo" when settings.Rates.Count > 0 => new ChartSpec("Echo p99 latency by offered rate (open loop)", "ms", true,
                [.. measured.Where(r => r.Latency is not null).Select(r => new ChartBar(Label(r), r.Latency!.P99Ms, r.Target))]),
            "echo" => new ChartSpec("Echo round trips per second (closed loop)", "round trips/s", false,
                [.. measured.Select(r => new ChartBar(Label(r), r.MessagesPerSecond, r.Target))]),
            "first-message" => new ChartSpec("Time to first message, median", "ms", true,
                [.. measured.Where(r => r.Latency is not null).Select(r => new ChartBar($"{r.Transport} {r.Protocol}", r.Latency!.P50Ms, r.Transport))]),
            "switch" => new ChartSpec("Transport switch: death to next message, median", "ms", true,
                [.. measured.Where(r => r.Latency is not null).Select(r => new ChartBar($"{r.Transport} {r.Protocol}", r.Latency!.P50Ms, r.Protocol))]),
            _ => new ChartSpec("Push delivery latency p99", "ms", true,
                [.. measured.Where(r => r.Latency is not null).Select(r => new ChartBar(Label(r), r.Latency!.P99Ms, r.Transport))]),
        };
    }
}
