using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;
using PushCompare.Metering;
using PushCompare.Web.Metering;
using PushCompare.Web.Sessions;
using StackExchange.Redis;

namespace PushCompare.Web.Backplane;

/// <summary>
/// Each instance's share of each session's figures, added into one Redis hash per stats key (HINCRBY per figure, the
/// largest latency kept), every <see cref="BackplaneOptions.FiguresInterval"/> and just before a summed read, so
/// <c>/api/stats?session=KEY</c> on any instance shows the session over every instance it touched.
/// Only server-issued keys are shared: a client-chosen key names one connection, which lives on one instance.
/// </summary>
internal sealed partial class RedisFigures(WireMeter meter, RedisSessionStore store, IOptions<BackplaneOptions> options, ILogger<RedisFigures> logger)
    : BackgroundService, ISharedSessionFigures
{
    private static readonly string[] FieldNames = [.. Enum.GetNames<Figure>().Select(n => n.ToLowerInvariant())];
    private readonly ConditionalWeakTable<WireCounters, long[]> _added = new(); // per session part: the lifetime totals already added
    private readonly SemaphoreSlim _flushing = new(1, 1); // one flush at a time, so no delta is added twice

    private RedisKey Key(string statsKey) => store.KeyPrefix + "f:" + statsKey;

    // A part's field: "p:<transport id>:<figure>" (transport ids never hold ':').
    private const string PartPrefix = "p:";

    private static string PartField(string transportId, int figure) => PartPrefix + transportId + ":" + FieldNames[figure];

    public async Task<SessionStats?> SumAsync(string key)
    {
        await FlushAsync(key);
        var fields = await RedisSessionStore.Guard(store.Database.HashGetAllAsync(Key(key)));
        if (fields.Length == 0) return null;
        var byName = new Dictionary<string, long>(StringComparer.Ordinal);
        var partIds = new List<string>();
        foreach (var field in fields)
        {
            if (!field.Value.TryParse(out long n)) continue; // every field but the transport id
            string name = field.Name!;
            byName[name] = n;
            if (name.StartsWith(PartPrefix, StringComparison.Ordinal) && name.IndexOf(':', PartPrefix.Length) is int colon and > 0
                && !partIds.Contains(name[PartPrefix.Length..colon])) partIds.Add(name[PartPrefix.Length..colon]);
        }
        var figures = Figures(byName, "");
        long count = figures[(int)Figure.LatencyCount];
        var stats = new SessionStats
        {
            Key = key,
            Transport = (string?)fields.FirstOrDefault(f => f.Name == "tr").Value ?? "",
            Opened = DateTimeOffset.FromUnixTimeMilliseconds(byName.GetValueOrDefault("opened")),
            Open = byName.GetValueOrDefault("open") == 1,
            Latency = count == 0 ? LatencyStats.Empty : new LatencyStats(count,
                Math.Round(figures[(int)Figure.LatencySumMicroseconds] / 1000.0 / count, 3), null, null, null,
                Math.Round(byName.GetValueOrDefault("maxlat") / 1000.0, 3)),
            Parts = partIds.ToDictionary(id => id, id => SessionPartStats.FromCounters(Figures(byName, PartPrefix + id + ":")), StringComparer.Ordinal),
        };
        stats.Fill(figures);
        return stats;
    }

    private static long[] Figures(Dictionary<string, long> byName, string prefix)
    {
        var figures = new long[WireCounters.Count];
        for (int i = 0; i < figures.Length; i++) figures[i] = byName.GetValueOrDefault(prefix + FieldNames[i]);
        return figures;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.FiguresInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await FlushAsync(null);
                }
                catch (SessionStoreUnavailableException ex)
                {
                    FlushFailed(logger, ex.InnerException?.Message ?? ex.Message); // the deltas stay and go with the next flush
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Host is stopping.
        }
    }

    /// <summary>Adds what each tracked session (or only <paramref name="onlyKey"/>) gained here since the last flush.</summary>
    private async Task FlushAsync(string? onlyKey)
    {
        await _flushing.WaitAsync();
        try
        {
            var writes = new List<(List<(long[] Added, long[] Now)> Parts, Task Write)>();
            foreach (var session in onlyKey is null ? meter.TrackedSessions : meter.FindSession(onlyKey) is { } one ? [one] : [])
            {
                if (session.Keying != SessionKeying.ServerIssued) continue;
                // Each part's delta under its transport's fields, and their sum under the session's own: one script adds
                // both, so the shared total stays the sum of the shared parts.
                var args = new List<RedisValue> { session.MaxLatencyMicroseconds };
                var total = new long[WireCounters.Count];
                var parts = new List<(long[] Added, long[] Now)>();
                foreach (var part in session.Parts)
                {
                    var added = _added.GetValue(part.Counters, static _ => new long[WireCounters.Count]);
                    var now = new long[WireCounters.Count];
                    for (int i = 0; i < now.Length; i++)
                    {
                        now[i] = part.Counters.Lifetime((Figure)i);
                        if (now[i] == added[i]) continue;
                        args.Add(PartField(part.Transport.Descriptor.Id, i));
                        args.Add(now[i] - added[i]);
                        total[i] += now[i] - added[i];
                    }
                    parts.Add((added, now));
                }
                if (args.Count == 1) continue;
                for (int i = 0; i < total.Length; i++)
                {
                    if (total[i] == 0) continue;
                    args.Add(FieldNames[i]);
                    args.Add(total[i]);
                }
                writes.Add((parts, store.Database.ScriptEvaluateAsync(RedisScripts.AddFigures, [Key(session.Key)], [.. args])));
            }
            foreach (var (parts, write) in writes)
            {
                await RedisSessionStore.Guard(WhenDone(write));
                foreach (var (added, now) in parts) now.CopyTo(added); // only once Redis has it: a failed write is sent again with the next flush
            }
        }
        finally
        {
            _flushing.Release();
        }
    }

    private static async Task<bool> WhenDone(Task write)
    {
        await write;
        return true;
    }

    [LoggerMessage(EventId = 231, Level = LogLevel.Warning, Message = "Could not add session figures to Redis ({Reason}); they are added with the next flush")]
    private static partial void FlushFailed(ILogger logger, string reason);
}
