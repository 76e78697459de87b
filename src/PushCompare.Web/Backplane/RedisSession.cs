using System.Diagnostics;
using System.Globalization;
using PushCompare.Web.Messaging;
using PushCompare.Metering;
using PushCompare.Web.Sessions;
using StackExchange.Redis;

namespace PushCompare.Web.Backplane;

/// <summary>
/// One request's handle on a session kept in Redis: what it was found with (transport, mode, wait, closed reason)
/// and the operations, each one script on <see cref="RedisSessionStore"/>. Statuses mean what they mean in memory
/// (<see cref="MessageSession"/>); the only new one is <see cref="ReadStatus.Released"/>, for a draining instance.
/// </summary>
internal sealed class RedisSession(RedisSessionStore store, string id, string statsKey, TransportDescriptor transport, EchoMode mode,
    TimeSpan defaultWait, string? closeReason) : IMessageSession
{
    public string Id => id;
    public string StatsKey => statsKey;
    public TransportDescriptor Transport => transport;
    public EchoMode Mode => mode;
    public TimeSpan DefaultWait => defaultWait;
    public string? CloseReason => closeReason;

    /// <summary>A shared store closes no session on shutdown, so none ends "drained".</summary>
    public bool Drained => false;

    public CancellationToken Ended => store.EndedOf(id);

    public void TrackFigures(IDisposable figures) => store.TrackFigures(id, figures);

    public async ValueTask<SendResult> AcceptAsync(long? seq, string reply)
    {
        var r = await store.EvalAsync(RedisScripts.Accept, id, seq is { } n ? n : RedisValue.EmptyString, reply);
        return RedisSessionStore.Status(r) switch
        {
            "ok" => new(SendStatus.Accepted),
            "dup" => new(SendStatus.Duplicate),
            "gap" => new(SendStatus.Gap, (long)r[1]),
            _ => Closed(r),
        };
    }

    public ValueTask<bool> EnqueueAsync(string text) => store.EnqueueAsync(id, text);

    public async ValueTask<(bool Ok, string? Problem)> AcknowledgeAsync(long upTo)
    {
        var r = await store.EvalAsync(RedisScripts.Acknowledge, id, upTo);
        return RedisSessionStore.Status(r) switch
        {
            "ok" => (true, null),
            "ahead" => (false, $"{upTo} is ahead of the last message sent ({(long)r[1]}): acknowledge the id of the last event you processed."),
            // Closed or expired meanwhile: nothing is left to acknowledge; the next read or send says 410.
            _ => (true, null),
        };
    }

    public async ValueTask<Attachment> AttachAsync(long? cursor)
    {
        if (store.IsDraining) return new(new LogRead(ReadStatus.Released), 0, 0);
        var r = await store.EvalAsync(RedisScripts.Attach, id, cursor is { } c ? c : RedisValue.EmptyString, store.Instance);
        switch (RedisSessionStore.Status(r))
        {
            case "ok":
                long reader = (long)r[1];
                store.ReaderAttached(id, reader);
                return new(new LogRead(ReadStatus.Empty), reader, (long)r[2], (long)r[3]);
            case "ahead":
                return new(new LogRead(ReadStatus.BadCursor, Detail: $"{cursor} is ahead of the newest message ({(long)r[1]}): send the position of the last message you received."), 0, 0);
            case "behind":
                return new(new LogRead(ReadStatus.BadCursor, Detail: $"{cursor} is behind one already acknowledged ({(long)r[1]}): messages up to it were dropped; send the position of the last message you received."), 0, 0);
            default:
                return new(ClosedRead(r), 0, 0);
        }
    }

    /// <summary>
    /// Arms this instance's wake-up for the session, then reads; when the log has nothing after <paramref name="after"/>
    /// it waits for a notice (a message queued, a newer reader, the close: on any instance), the wait, or a drain.
    /// </summary>
    public async Task<LogRead> ReadAsync(long after, long reader, TimeSpan wait, CancellationToken aborted)
    {
        long started = Stopwatch.GetTimestamp();
        while (true)
        {
            if (store.IsDraining) return new(ReadStatus.Released);
            using var armed = store.Wakeups.Arm(id);
            var read = await ReadOnceAsync(after, reader);
            var left = wait - Stopwatch.GetElapsedTime(started);
            if (read.Status != ReadStatus.Empty || left <= TimeSpan.Zero) return read;
            try
            {
                await armed.Woken.WaitAsync(left, aborted);
            }
            catch (TimeoutException)
            {
                return await ReadOnceAsync(after, reader); // a message may have raced the timeout
            }
            catch (OperationCanceledException)
            {
                return new(ReadStatus.Empty); // the client went away: nobody reads the answer
            }
        }
    }

    private async Task<LogRead> ReadOnceAsync(long after, long reader)
    {
        var r = await store.EvalAsync(RedisScripts.Read, id, after, reader);
        switch (RedisSessionStore.Status(r))
        {
            case "msgs":
                long last = (long)r[1], handedBefore = (long)r[2], from = (long)r[3];
                var entries = (RedisResult[])r[4]!;
                var messages = new string[entries.Length];
                var firstQueuedAt = new long[entries.Length];
                for (int i = 0; i < entries.Length; i++)
                {
                    string entry = (string)entries[i]!;
                    int space = entry.IndexOf(' ', StringComparison.Ordinal);
                    messages[i] = entry[(space + 1)..];
                    if (from + 1 + i <= handedBefore) continue; // read before: a resend (0)
                    // Queued at Redis's clock; the latency is measured against this machine's (docs/measuring.md).
                    firstQueuedAt[i] = RedisSessionStore.LocalTimestampOf(long.Parse(entry.AsSpan(0, space), CultureInfo.InvariantCulture));
                }
                return new(ReadStatus.Messages, last, messages, FirstQueuedAt: firstQueuedAt, FirstSeq: from + 1);
            case "empty":
                return new(ReadStatus.Empty);
            case "superseded":
                return new(ReadStatus.Superseded);
            default:
                return ClosedRead(r);
        }
    }

    public async ValueTask DetachAsync(long reader)
    {
        store.ReaderDetached(id, reader);
        await store.EvalAsync(RedisScripts.Detach, id, reader);
    }

    public async ValueTask CloseAsync(string reason)
    {
        await store.EvalAsync(RedisScripts.Close, id, reason);
        store.ForgetOpened(id);
    }

    private SendResult Closed(RedisResult[] r)
    {
        store.ForgetOpened(id);
        return new(SendStatus.Closed);
    }

    // Closed (with its reason) or gone (expired: the generic 410).
    private LogRead ClosedRead(RedisResult[] r)
    {
        store.ForgetOpened(id);
        return new(ReadStatus.Closed, Detail: RedisSessionStore.Status(r) == "closed" ? store.Reason((string)r[1]!) : null);
    }
}
