namespace PushCompare.Metering;

/// <summary>
/// A gateway's answer to <c>GET /api/stats</c> (docs/measuring.md, "Behind the gateway"): the figures it measured
/// itself where the browsers' connections end — requests, HTTP and wire bytes, frames, connections — with what only
/// the instances count (messages, their payload, latency, open sessions) taken from the instances' answers, and the
/// instances' own byte figures beside them as <see cref="WireFigures.Upstream"/>.
/// </summary>
internal static class GatewayStats
{
    // Counted by the transports, on the instances; every other figure is the gateway's own.
    private static readonly Figure[] CountedByInstances =
        [Figure.MessagesIn, Figure.MessagesOut, Figure.MessagesResent, Figure.PayloadBytesIn, Figure.PayloadBytesOut];

    /// <param name="own">the gateway's own figures (its <see cref="WireMeter.Snapshot"/>)</param>
    /// <param name="answers">the instances' answers to the same request, in the order they were asked</param>
    /// <param name="asked">how many instances were asked (some may not have answered)</param>
    /// <param name="sessionKey">the <c>?session=</c> asked for, if any</param>
    /// <param name="keying">how each transport the gateway was told about keys its sessions (for the open-session count)</param>
    public static StatsSnapshot Merge(StatsSnapshot own, IReadOnlyList<StatsSnapshot> answers, int asked, string? sessionKey,
        IReadOnlyDictionary<string, SessionKeying> keying)
    {
        var transports = new Dictionary<string, TransportStats>(StringComparer.Ordinal);
        foreach (string id in TransportIds(own, answers))
        {
            var theirs = answers.Select(a => a.Transports.GetValueOrDefault(id)).OfType<TransportStats>().ToList();
            transports.Add(id, Transport(own.Transports.GetValueOrDefault(id), theirs, id, keying.GetValueOrDefault(id, SessionKeying.ClientChosen)));
        }
        var sessions = own.Sessions.Select(s => Session(s, Theirs(s.Key, answers, sessionKey))).ToArray();
        return own with
        {
            Transports = transports,
            Sessions = sessions,
            Gateway = new GatewayStatsInfo(asked, answers.Count),
        };
    }

    // The instances' order (their registry's), then transports only the gateway knows, then "other" last.
    private static IEnumerable<string> TransportIds(StatsSnapshot own, IReadOnlyList<StatsSnapshot> answers)
    {
        string other = TransportRegistry.Other.Id;
        return answers.SelectMany(a => a.Transports.Keys).Concat(own.Transports.Keys)
            .Where(id => id != other).Distinct(StringComparer.Ordinal).Append(other);
    }

    // For ?session=KEY every instance answers the session's sum over all of them (summed in Redis); asked in turn, the
    // last one's includes every instance's latest share, as each adds its own share before it answers. A WebSocket's
    // key is listed by the one instance that holds it. Without ?session= each instance lists its own share: added up.
    private static List<SessionStats> Theirs(string key, IReadOnlyList<StatsSnapshot> answers, string? sessionKey)
    {
        var listing = answers.Select(a => a.Sessions.FirstOrDefault(s => s.Key == key)).OfType<SessionStats>().ToList();
        return sessionKey is not null && listing.Count > 1 ? [listing[^1]] : listing;
    }

    private static TransportStats Transport(TransportStats? own, List<TransportStats> theirs, string id, SessionKeying keying)
    {
        var figures = own?.ToCounters() ?? new long[WireCounters.Count];
        TakeCountedByInstances(figures, theirs);
        var stats = new TransportStats
        {
            Label = theirs.FirstOrDefault()?.Label ?? own?.Label ?? id,
            Connections = own?.Connections ?? 0,
            // Server-issued keys are sessions in the shared store, which every instance counts whole; a client-chosen
            // key is one instance's connection.
            Sessions = theirs.Count == 0 ? own?.Sessions ?? 0
                : keying == SessionKeying.ServerIssued ? theirs.Max(t => t.Sessions) : theirs.Sum(t => t.Sessions),
            TlsHandshakeBytesIn = own?.TlsHandshakeBytesIn ?? 0,
            TlsHandshakeBytesOut = own?.TlsHandshakeBytesOut ?? 0,
            Http2ConnectionBytesIn = own?.Http2ConnectionBytesIn ?? 0,
            Http2ConnectionBytesOut = own?.Http2ConnectionBytesOut ?? 0,
            Protocols = own?.Protocols ?? new Dictionary<string, long>(StringComparer.Ordinal)
            {
                [WireMeter.Protocol.Http11] = 0, [WireMeter.Protocol.Http11Tls] = 0, [WireMeter.Protocol.Http2Tls] = 0,
            },
            Latency = Latency(theirs.Select(t => t.Latency)),
            Upstream = theirs.Count == 0 ? null : Upstream(theirs, theirs.Sum(t => t.Connections)),
        };
        stats.Fill(figures);
        stats.AddConnectionWire(stats.TlsHandshakeBytesIn + stats.Http2ConnectionBytesIn, stats.TlsHandshakeBytesOut + stats.Http2ConnectionBytesOut);
        return stats;
    }

    private static SessionStats Session(SessionStats own, List<SessionStats> theirs)
    {
        var figures = own.ToCounters();
        TakeCountedByInstances(figures, theirs);
        var stats = new SessionStats
        {
            Key = own.Key,
            Transport = own.Transport,
            // The session's own state and age are the instances' (the gateway sees requests, not sessions).
            Opened = theirs.Count == 0 ? own.Opened : theirs.Min(t => t.Opened),
            Open = theirs.Count == 0 ? own.Open : theirs.Any(t => t.Open),
            Latency = Latency(theirs.Select(t => t.Latency)),
            Upstream = theirs.Count == 0 ? null : Upstream(theirs, connections: null),
            Parts = own.Parts.Keys.Concat(theirs.SelectMany(t => t.Parts.Keys)).Distinct(StringComparer.Ordinal).ToDictionary(id => id,
                id => Part(own.Parts.GetValueOrDefault(id), [.. theirs.Select(t => t.Parts.GetValueOrDefault(id)).OfType<SessionPartStats>()]),
                StringComparer.Ordinal),
        };
        stats.Fill(figures);
        return stats;
    }

    // A session's part, merged as the session is: the gateway's own bytes, the instances' messages and latency.
    private static SessionPartStats Part(SessionPartStats? own, List<SessionPartStats> theirs)
    {
        var figures = own?.ToCounters() ?? new long[WireCounters.Count];
        TakeCountedByInstances(figures, theirs);
        var part = new SessionPartStats
        {
            Latency = Latency(theirs.Select(t => t.Latency)),
            Upstream = theirs.Count == 0 ? null : Upstream(theirs, connections: null),
        };
        part.Fill(figures);
        return part;
    }

    private static void TakeCountedByInstances(long[] figures, IEnumerable<WireFigures> theirs)
    {
        var counted = theirs.Select(t => t.ToCounters()).ToList();
        foreach (var figure in CountedByInstances) figures[(int)figure] = counted.Sum(f => f[(int)figure]);
    }

    private static UpstreamFigures Upstream(IReadOnlyCollection<WireFigures> theirs, int? connections) => new()
    {
        Requests = theirs.Sum(t => t.Requests),
        BytesIn = theirs.Sum(t => t.BytesIn),
        BytesOut = theirs.Sum(t => t.BytesOut),
        WireBytesIn = theirs.Sum(t => t.WireBytesIn),
        WireBytesOut = theirs.Sum(t => t.WireBytesOut),
        Connections = connections,
    };

    // One instance's latency as it is; over several, count and max exactly and the mean weighted by count. Percentiles
    // of several histograms cannot be made from their percentiles, so they are left out then.
    private static LatencyStats Latency(IEnumerable<LatencyStats> theirs)
    {
        var counted = theirs.Where(l => l.Count > 0).ToList();
        if (counted.Count <= 1) return counted.SingleOrDefault() ?? LatencyStats.Empty;
        long count = counted.Sum(l => l.Count);
        double mean = counted.Sum(l => (l.MeanMs ?? 0) * l.Count) / count;
        return new LatencyStats(count, Math.Round(mean, 3), null, null, null, counted.Max(l => l.MaxMs));
    }
}
