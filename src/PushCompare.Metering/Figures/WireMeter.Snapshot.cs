namespace PushCompare.Metering;

internal sealed partial class WireMeter
{
    /// <summary>The keys of <see cref="TransportStats.Protocols"/>.</summary>
    public static class Protocol
    {
        public const string Http11 = "http/1.1", Http11Tls = "http/1.1+tls", Http2Tls = "h2+tls";
    }

    /// <summary>Sessions listed when no key is asked for (the most recently opened); all stay queryable by key.</summary>
    public const int ListedSessions = 100;

    /// <summary>The figures since the last reset; with <paramref name="sessionKey"/> only that session is listed.</summary>
    public StatsSnapshot Snapshot(string? sessionKey)
    {
        var transports = new Dictionary<string, TransportStats>(StringComparer.Ordinal);
        foreach (var transport in Transports) transports.Add(transport.Descriptor.Id, Stats(transport));

        IEnumerable<SessionMeter> listed = sessionKey is not null
            ? _sessions.TryGetValue(sessionKey, out var one) ? [one] : []
            : _sessions.Values.OrderByDescending(s => s.Opened).Take(ListedSessions);

        // Open TLS connections, the most recent first, only when no single session is asked for (the page's reads stay small).
        TlsConnectionStats[] connections = sessionKey is not null ? []
            : [.. _tlsConnections.Keys.OrderByDescending(c => c.Opened).Take(ListedSessions).Select(c => c.Stats())];

        return new StatsSnapshot(StatsSnapshot.CurrentVersion, Enabled, _since, _time.GetUtcNow(), transports,
            [.. listed.Select(Stats)], Volatile.Read(ref _tracked), Interlocked.Read(ref _untracked))
        {
            TlsConnections = connections,
        };
    }

    private TransportStats Stats(TransportMeter meter)
    {
        var f = meter.Counters.SinceReset();
        var c = meter.Connection.SinceReset();
        long h1Tls = c.Since(ConnectionFigure.Http11TlsRequests), h2Tls = c.Since(ConnectionFigure.Http2TlsRequests);
        var stats = new TransportStats
        {
            Label = meter.Descriptor.Label,
            Latency = meter.Latency?.Read() ?? LatencyStats.Empty,
            Connections = meter.Connections,
            Sessions = OpenSessions(meter.Descriptor),
            TlsHandshakeBytesIn = c.Since(ConnectionFigure.TlsHandshakeBytesIn),
            TlsHandshakeBytesOut = c.Since(ConnectionFigure.TlsHandshakeBytesOut),
            Http2ConnectionBytesIn = c.Since(ConnectionFigure.Http2ConnectionBytesIn),
            Http2ConnectionBytesOut = c.Since(ConnectionFigure.Http2ConnectionBytesOut),
            // Plaintext requests are the rest, so the plaintext path counts nothing extra.
            Protocols = new Dictionary<string, long>(StringComparer.Ordinal)
            {
                [Protocol.Http11] = f[(int)Figure.Requests] - h1Tls - h2Tls,
                [Protocol.Http11Tls] = h1Tls,
                [Protocol.Http2Tls] = h2Tls,
            },
        };
        stats.Fill(f);
        stats.AddConnectionWire(stats.TlsHandshakeBytesIn + stats.Http2ConnectionBytesIn, stats.TlsHandshakeBytesOut + stats.Http2ConnectionBytesOut);
        return stats;
    }

    private static SessionStats Stats(SessionMeter session)
    {
        var f = session.SinceReset();
        long count = f[(int)Figure.LatencyCount];
        var stats = new SessionStats
        {
            Key = session.Key,
            Transport = session.Transport.Id,
            Opened = session.Opened,
            Open = session.IsOpen,
            // Sessions keep count, mean and max only: a histogram each would cost ~190 KB per session.
            Latency = count == 0 ? LatencyStats.Empty : new LatencyStats(count,
                Math.Round(f[(int)Figure.LatencySumMicroseconds] / 1000.0 / count, 3), null, null, null,
                Math.Round(session.MaxLatencyMicroseconds / 1000.0, 3)),
            Parts = session.Parts.ToDictionary(p => p.Transport.Descriptor.Id, p => SessionPartStats.FromCounters(p.Counters.SinceReset()), StringComparer.Ordinal),
        };
        stats.Fill(f);
        return stats;
    }
}
