using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.Options;
using PushCompare.Metering;
using PushCompare.Web.Metering;
using PushCompare.Web.Sessions;
using StackExchange.Redis;

namespace PushCompare.Web.Backplane;

/// <summary>
/// Each instance's share of each session's figures, kept in one Redis hash per stats key: the instance writes its share's
/// totals (not what they gained) as one packed field of its own, so a write is one <c>HSET</c> however many figures
/// changed, writing twice adds nothing twice, and a read sums the fields. An instance writes when a summed read asks for
/// them, and otherwise only every <see cref="BackplaneOptions.FiguresInterval"/>: <c>/api/stats?session=KEY</c> on any
/// instance asks every live instance (pub/sub, <c>{prefix}figures</c>) to write its share of KEY, waits for their answers
/// (a dead one for at most a second), then sums. So the figures cost Redis nothing per message, and a read still shows
/// every instance the session touched.
/// Only server-issued keys are shared: a client-chosen key names one connection, which lives on one instance.
/// </summary>
internal sealed partial class RedisFigures(WireMeter meter, RedisSessionStore store, IConnectionMultiplexer redis, IOptions<BackplaneOptions> options,
    ILogger<RedisFigures> logger)
    : BackgroundService, ISharedSessionFigures
{
    private readonly ConditionalWeakTable<SessionMeter, Share> _shares = new(); // what this instance last wrote, per session meter
    private readonly SemaphoreSlim _flushing = new(1, 1); // one flush at a time, so a newer share is never overwritten by an older one
    private readonly ConcurrentDictionary<string, Asked> _asked = new(StringComparer.Ordinal); // by nonce: the answers still awaited
    private static readonly TimeSpan AnswerWait = TimeSpan.FromSeconds(1); // an instance killed since its last heartbeat never answers
    private static readonly TimeSpan Lease = TimeSpan.FromDays(1); // figures outlive their session by a day
    private long _shareCount;
    private volatile bool _listening;

    private RedisChannel Requests => RedisChannel.Literal(store.KeyPrefix + "figures");

    private RedisChannel AnswersTo(string instance) => RedisChannel.Literal(store.KeyPrefix + "figures:" + instance);

    private RedisKey Key(string statsKey) => store.FiguresKey(statsKey);

    // A share's field: "x:<instance>:<n>", n counting the session meters this process made (a meter dropped and made
    // again starts from zero, so it writes a field of its own); its value "<max latency µs> <transport id>:<figure>,<figure>,… …",
    // one part per transport that carried the session here (transport ids never hold ':' or ' ').
    private const string SharePrefix = "x:";

    public async Task<SessionStats?> SumAsync(string key)
    {
        await FlushAsync(key);
        await AskOthersAsync(key);
        var fields = await RedisSessionStore.Guard(store.Database.HashGetAllAsync(Key(key)));
        if (fields.Length == 0) return null;
        var header = new Dictionary<string, long>(StringComparer.Ordinal);
        var parts = new Dictionary<string, long[]>(StringComparer.Ordinal);
        long maxLatency = 0;
        foreach (var field in fields)
        {
            string name = field.Name!;
            if (name.StartsWith(SharePrefix, StringComparison.Ordinal)) maxLatency = Math.Max(maxLatency, AddShare(field.Value!, parts));
            else if (field.Value.TryParse(out long n)) header[name] = n; // open, opened (tr is text)
        }
        var figures = new long[WireCounters.Count];
        foreach (var part in parts.Values)
            for (int i = 0; i < figures.Length; i++) figures[i] += part[i];
        long count = figures[(int)Figure.LatencyCount];
        var stats = new SessionStats
        {
            Key = key,
            Transport = (string?)fields.FirstOrDefault(f => f.Name == "tr").Value ?? "",
            Opened = DateTimeOffset.FromUnixTimeMilliseconds(header.GetValueOrDefault("opened")),
            Open = header.GetValueOrDefault("open") == 1,
            Latency = count == 0 ? LatencyStats.Empty : new LatencyStats(count,
                Math.Round(figures[(int)Figure.LatencySumMicroseconds] / 1000.0 / count, 3), null, null, null,
                Math.Round(maxLatency / 1000.0, 3)),
            Parts = parts.ToDictionary(p => p.Key, p => SessionPartStats.FromCounters(p.Value), StringComparer.Ordinal),
        };
        stats.Fill(figures);
        return stats;
    }

    // Adds one share's parts into `parts` (by transport id); its largest latency.
    private static long AddShare(string share, Dictionary<string, long[]> parts)
    {
        var items = share.Split(' ');
        foreach (var item in items.AsSpan(1))
        {
            int colon = item.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0) continue;
            if (!parts.TryGetValue(item[..colon], out var sum)) parts[item[..colon]] = sum = new long[WireCounters.Count];
            var values = item[(colon + 1)..].Split(',');
            for (int i = 0; i < values.Length && i < sum.Length; i++) sum[i] += long.Parse(values[i], CultureInfo.InvariantCulture);
        }
        return long.Parse(items[0], CultureInfo.InvariantCulture);
    }

    /// <summary>A session meter's share as written: "&lt;max latency µs&gt; &lt;transport id&gt;:&lt;figures&gt; …".</summary>
    private static string ShareOf(SessionMeter session)
    {
        var text = new StringBuilder().Append(session.MaxLatencyMicroseconds.ToString(CultureInfo.InvariantCulture));
        foreach (var part in session.Parts)
        {
            text.Append(' ').Append(part.Transport.Descriptor.Id).Append(':');
            for (int i = 0; i < WireCounters.Count; i++)
            {
                if (i > 0) text.Append(',');
                text.Append(part.Counters.Lifetime((Figure)i).ToString(CultureInfo.InvariantCulture));
            }
        }
        return text.ToString();
    }

    // Every other live instance writes its share of `key` and says so; the sum waits for them all, or a second.
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

    // "<instance> <nonce> <key>" from another instance: write this one's share of key, then tell it.
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

    /// <summary>Writes the share of each tracked session (or only <paramref name="onlyKey"/>) that changed since its last write, pipelined.</summary>
    private async Task FlushAsync(string? onlyKey)
    {
        await _flushing.WaitAsync();
        try
        {
            var db = store.Database;
            var writes = new List<(Share Share, string Value, Task Write)>();
            foreach (var session in onlyKey is null ? meter.TrackedSessions : meter.FindSession(onlyKey) is { } one ? [one] : [])
            {
                if (session.Keying != SessionKeying.ServerIssued) continue;
                var share = _shares.GetValue(session, _ => new Share(store.Instance + ":" + Interlocked.Increment(ref _shareCount)));
                string value = ShareOf(session);
                if (value == share.Written) continue;
                RedisKey key = Key(session.Key);
                Task write = db.HashSetAsync(key, SharePrefix + share.Field, value);
                // The lease is renewed about once an hour by each share, not with every write.
                if (TimeProvider.System.GetElapsedTime(share.LeasedAt) > TimeSpan.FromHours(1) || share.Written is null)
                {
                    write = Task.WhenAll(write, db.KeyExpireAsync(key, Lease));
                    share.LeasedAt = TimeProvider.System.GetTimestamp();
                }
                writes.Add((share, value, write));
            }
            foreach (var (share, value, write) in writes)
            {
                await RedisSessionStore.Guard(WhenDone(write));
                share.Written = value; // only once Redis has it: a failed write is sent again with the next flush
            }
        }
        finally
        {
            _flushing.Release();
        }
    }

    /// <summary>One session meter's share: its field in the figures hash, what was last written there, and when its lease was renewed.</summary>
    private sealed class Share(string name)
    {
        public string Field => name;
        public string? Written;
        public long LeasedAt;
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
