namespace PushCompare.Web.Metering;

internal sealed partial class WireMeter
{
    /// <summary>Sessions listed when no key is asked for (the most recently opened); all stay queryable by key.</summary>
    public const int ListedSessions = 100;

    /// <summary>The figures since the last reset; with <paramref name="sessionKey"/> only that session is listed.</summary>
    public StatsSnapshot Snapshot(string? sessionKey)
    {
        var transports = new TransportsStats(Stats(WireTransport.WebSocket), Stats(WireTransport.LongPoll),
            Stats(WireTransport.ShortPoll), Stats(WireTransport.Other));

        IEnumerable<SessionMeter> listed = sessionKey is not null
            ? _sessions.TryGetValue(sessionKey, out var one) ? [one] : []
            : _sessions.Values.OrderByDescending(s => s.Opened).Take(ListedSessions);

        return new StatsSnapshot(Enabled, _since, _time.GetUtcNow(), transports,
            [.. listed.Select(Stats)], Volatile.Read(ref _tracked), Interlocked.Read(ref _untracked));
    }

    private TransportStats Stats(WireTransport transport)
    {
        var meter = Transport(transport);
        var f = meter.Counters.SinceReset();
        var stats = new TransportStats
        {
            Latency = meter.Latency?.Read() ?? LatencyStats.Empty,
            Connections = meter.Connections,
            Sessions = OpenSessions(transport),
        };
        stats.Fill(f);
        return stats;
    }

    private SessionStats Stats(SessionMeter session)
    {
        var f = session.Counters.SinceReset();
        long count = f[(int)Figure.LatencyCount];
        var stats = new SessionStats
        {
            Key = session.Key,
            Transport = session.Transport.Name(),
            Opened = session.Opened,
            Open = IsOpen(session),
            // Sessions keep count, mean and max only: a histogram each would cost ~190 KB per session.
            Latency = count == 0 ? LatencyStats.Empty : new LatencyStats(count,
                Math.Round(f[(int)Figure.LatencySumMicroseconds] / 1000.0 / count, 3), null, null, null,
                Math.Round(session.MaxLatencyMicroseconds / 1000.0, 3)),
        };
        stats.Fill(f);
        return stats;
    }
}
