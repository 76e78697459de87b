using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;
using PushCompare.Metering;
using PushCompare.Web.Metering;
using PushCompare.Web.Sessions;
using StackExchange.Redis;

namespace PushCompare.Web.Backplane;

/// <summary>
/// Each instance's share of each session's figures, added into one Redis hash per stats key (HINCRBY per figure, the
/// largest latency kept) when a summed read asks for them, and otherwise only every
/// <see cref="BackplaneOptions.FiguresInterval"/>: <c>/api/stats?session=KEY</c> on any instance asks every live instance
/// (pub/sub, <c>{prefix}figures</c>) to add its share of KEY, waits for their answers (a dead one for at most a second),
/// then sums. So the figures cost Redis nothing per message, and a read still shows every instance the session touched.
/// Only server-issued keys are shared: a client-chosen key names one connection, which lives on one instance.
/// </summary>
internal sealed partial class RedisFigures(WireMeter meter, RedisSessionStore store, IConnectionMultiplexer redis, IOptions<BackplaneOptions> options,
    ILogger<RedisFigures> logger)
    : BackgroundService, ISharedSessionFigures
{
    private static readonly string[] FieldNames = [.. Enum.GetNames<Figure>().Select(n => n.ToLowerInvariant())];
    private readonly ConditionalWeakTable<WireCounters, long[]> _added = new(); // per session part: the lifetime totals already added
    private readonly SemaphoreSlim _flushing = new(1, 1); // one flush at a time, so no delta is added twice
    private readonly ConcurrentDictionary<string, Asked> _asked = new(StringComparer.Ordinal); // by nonce: the answers still awaited
    private static readonly TimeSpan AnswerWait = TimeSpan.FromSeconds(1); // an instance killed since its last heartbeat never answers
    private volatile bool _listening;

    private RedisChannel Requests => RedisChannel.Literal(store.KeyPrefix + "figures");

    private RedisChannel AnswersTo(string instance) => RedisChannel.Literal(store.KeyPrefix + "figures:" + instance);

    private RedisKey Key(string statsKey) => store.FiguresKey(statsKey);

    // A part's field: "p:<transport id>:<figure>" (transport ids never hold ':').
    private const string PartPrefix = "p:";

    private static string PartField(string transportId, int figure) => PartPrefix + transportId + ":" + FieldNames[figure];

    public async Task<SessionStats?> SumAsync(string key)
    {
        await FlushAsync(key);
        await AskOthersAsync(key);
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

    // Every other live instance adds its share of `key` and says so; the sum waits for them all, or a second.
    private async Task AskOthersAsync(string key)
    {
        int others = await store.OtherInstancesAsync();
        if (others == 0 || !_listening) return;
        string nonce = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
        var asked = new Asked(others);
        _asked[nonce] = asked;
        try
        {
            await RedisSessionStore.Guard(redis.GetSubscriber().PublishAsync(Requests, $"{store.Instance} {nonce} {key}"));
            await asked.Answered.Task.WaitAsync(AnswerWait);
        }
        catch (TimeoutException)
        {
            // An instance that died (or is cut off) adds nothing more: the sum is what the others added.
        }
        finally
        {
            _asked.TryRemove(nonce, out _);
        }
    }

    private async Task ListenAsync()
    {
        var subscriber = redis.GetSubscriber();
        await subscriber.SubscribeAsync(Requests, (channel, request) => _ = AnswerAsync((string)request!));
        await subscriber.SubscribeAsync(AnswersTo(store.Instance), (_, nonce) =>
        {
            if (_asked.TryGetValue((string)nonce!, out var asked) && Interlocked.Decrement(ref asked.Left) == 0) asked.Answered.TrySetResult();
        });
        _listening = true;
    }

    // "<instance> <nonce> <key>" from another instance: add this one's share of key, then tell it.
    private async Task AnswerAsync(string request)
    {
        var parts = request.Split(' ', 3);
        if (parts.Length != 3 || parts[0] == store.Instance) return;
        try
        {
            await FlushAsync(parts[2]);
            await redis.GetSubscriber().PublishAsync(AnswersTo(parts[0]), parts[1]);
        }
        catch (Exception ex) when (ex is SessionStoreUnavailableException || RedisSessionStore.IsOutage(ex))
        {
            FlushFailed(logger, ex.Message); // the asker stops waiting after a second
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.FiguresInterval < AnswerWait ? options.Value.FiguresInterval : AnswerWait);
        long lastFlush = TimeProvider.System.GetTimestamp();
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    if (!_listening) await ListenAsync();
                    if (TimeProvider.System.GetElapsedTime(lastFlush) < options.Value.FiguresInterval) continue;
                    lastFlush = TimeProvider.System.GetTimestamp();
                    await FlushAsync(null);
                }
                catch (Exception ex) when (RedisSessionStore.IsOutage(ex))
                {
                    FlushFailed(logger, ex.Message);
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

    private sealed class Asked(int expected)
    {
        public int Left = expected;
        public readonly TaskCompletionSource Answered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    [LoggerMessage(EventId = 231, Level = LogLevel.Warning, Message = "Could not add session figures to Redis ({Reason}); they are added with the next flush")]
    private static partial void FlushFailed(ILogger logger, string reason);
}
