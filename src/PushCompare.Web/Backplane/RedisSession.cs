using System.Globalization;
using PushCompare.Web.Messaging;
using PushCompare.Metering;
using PushCompare.Web.Sessions;
using StackExchange.Redis;

namespace PushCompare.Web.Backplane;

/// <summary>
/// One request's handle on a session kept in Redis: what it was found with (transport, mode, wait, closed reason)
/// and the operations, each at most one script on <see cref="RedisSessionStore"/>. A reader's attach reads the log in
/// the same script, and what is queued after it arrives with the pub/sub notice, so a poll answered or a batch of stream
/// events costs one round trip. Statuses mean what they mean in memory (<see cref="MessageSession"/>); the only new one
/// is <see cref="ReadStatus.Released"/>, for a draining instance.
/// </summary>
internal sealed class RedisSession(RedisSessionStore store, string id, string statsKey, TransportDescriptor transport, EchoMode mode,
    TimeSpan defaultWait, string? closeReason) : IMessageSession
{
    private Wakeups.Inbox? _inbox;   // this request's reader: the notices about the session since before its attach
    private long _reader;            // its generation once attached
    private long _after;             // the position it attached at (the cursor, or what was acknowledged)
    private bool _attached;          // Redis counts it as the session's attached reader (ractive)
    private bool _holds;             // it answers once (a poll), so a message handed to it detaches it
    private long _expectedSeq;       // the client seq the session accepts next, as of the attach
    private LogRead? _attachRead;    // what the attach script read, answered by the first read
    private string? _topic;          // the topic whose feed this instance listens to for the reader
    private bool _superseded;        // a newer reader took over while this one had messages in hand: the next read says so

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

    public async ValueTask<SendResult> AcceptAsync(long? seq, string reply, long? acknowledge)
    {
        // The acknowledgement rides in the same script: a send with ack= is one round trip.
        var r = await store.QueueAsync(RedisScripts.Accept, id, seq is { } n ? n : RedisValue.EmptyString, reply,
            acknowledge is { } upTo ? upTo : RedisValue.EmptyString, store.Instance);
        if (acknowledge is not null && RedisSessionStore.Status(r) is "ok" or "dup" or "gap") store.Touched(id, transport);
        return RedisSessionStore.Status(r) switch
        {
            "ok" => new(SendStatus.Accepted),
            "dup" => new(SendStatus.Duplicate),
            "gap" => new(SendStatus.Gap, (long)r[1]),
            "ahead" => new(SendStatus.AckAhead, Problem: AheadOfSent(acknowledge!.Value, (long)r[1])),
            _ => await ClosedSendAsync(r),
        };
    }

    public ValueTask<bool> EnqueueAsync(string text) => store.EnqueueAsync(id, text);

    public async ValueTask<(bool Ok, string? Problem)> AcknowledgeAsync(long upTo)
    {
        var r = await store.EvalAsync(RedisScripts.Acknowledge, id, upTo);
        switch (RedisSessionStore.Status(r))
        {
            case "ok":
                store.Touched(id, transport);
                return (true, null);
            case "ahead":
                return (false, AheadOfSent(upTo, (long)r[1]));
            default:
                await store.EndedAsync(id, r);
                return (true, null); // closed or expired meanwhile: nothing is left to acknowledge; the next read or send says 410
        }
    }

    private static string AheadOfSent(long upTo, long handed) => MessageSession.AheadOfSent(upTo, handed);

    public async ValueTask<Attachment> AttachAsync(long? cursor, ReaderKind kind)
    {
        if (store.IsDraining) return new(new LogRead(ReadStatus.Released), 0, 0);
        // A stream (SSE, a session-mode WebSocket) stays the reader; a poll that may wait is attached only when there is
        // nothing to answer yet. The reader's kind, not the transport that opened the session: any transport reads any session.
        _holds = kind == ReaderKind.Poll;
        _inbox = store.Wakeups.Register(id); // before the script: what is queued after it arrives as a notice
        LogRead read;
        try
        {
            read = await AttachReadAsync(cursor, !_holds ? "stream" : defaultWait > TimeSpan.Zero ? "hold" : "now");
        }
        catch
        {
            EndReading();
            throw;
        }
        if (read.Status is ReadStatus.Messages or ReadStatus.Empty)
        {
            _attachRead = read;
            return new(new LogRead(ReadStatus.Empty), _reader, _after, _expectedSeq);
        }
        EndReading();
        return new(read, 0, 0);
    }

    /// <summary>
    /// What the attach read, else the messages handed over by notices after <paramref name="after"/>, else waits for
    /// them (or a newer reader, the close, the wait, a drain). A notice that skips a message (one was missed while the
    /// subscription reconnected) sends the reader to Redis for the log itself.
    /// </summary>
    public async Task<LogRead> ReadAsync(long after, long reader, TimeSpan wait, CancellationToken aborted)
    {
        if (_inbox is null || _superseded) return new(ReadStatus.Superseded); // not attached through this handle, or taken over
        if (_attachRead is { } first)
        {
            _attachRead = null;
            if (first.Status == ReadStatus.Messages) return first;
        }
        if (wait > TimeSpan.Zero && !_attached && _holds)
        {
            // A poll of a session opened to answer at once that asks to wait: it becomes the attached reader now.
            var held = await AttachReadAsync(after, "hold");
            if (held.Status != ReadStatus.Empty || !_attached) return held;
        }
        using var timeout = new CancellationTokenSource(wait > TimeSpan.Zero ? wait : Timeout.InfiniteTimeSpan);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, aborted);
        var batch = new List<Notice>();
        while (true)
        {
            if (store.IsDraining) return new(ReadStatus.Released);
            if (!_inbox.Reader.TryRead(out var notice))
            {
                if (batch.Count > 0) return Handed(after, batch);
                try
                {
                    if (wait <= TimeSpan.Zero) throw new OperationCanceledException();
                    notice = await _inbox.Reader.ReadAsync(linked.Token);
                }
                catch (OperationCanceledException) when (!aborted.IsCancellationRequested)
                {
                    // The wait is over. A poll looks once more and detaches in the same script; a stream's notices are
                    // reliable while connected (a reconnection makes every reader look), so it answers empty (a heartbeat).
                    return _attached && _holds ? await ReadOnceAsync(after, detach: true) : new(ReadStatus.Empty);
                }
                catch (OperationCanceledException)
                {
                    return new(ReadStatus.Empty); // the client went away: nobody reads the answer
                }
            }
            switch (notice.Kind)
            {
                case NoticeKind.Message when notice.Reader == _reader:
                    long next = after + batch.Count + 1;
                    if (notice.Seq < next) continue; // read already
                    if (notice.Seq > next) return await ReadOnceAsync(after, detach: false); // one was missed: the log has it
                    if (_holds) Detached(); // handed to a poll: the script detached it
                    batch.Add(notice);
                    continue;
                case NoticeKind.Superseded when notice.Reader == _reader:
                    Detached();
                    if (batch.Count == 0) return new(ReadStatus.Superseded);
                    // The messages handed with it go out first. The notice is consumed now, and a detached stream's waits
                    // end empty, so without this the stream would never learn it was replaced and stay open unread.
                    _superseded = true;
                    return Handed(after, batch);
                case NoticeKind.Closed:
                    Detached();
                    return new(ReadStatus.Closed, Detail: store.Ended(id, notice.Text!));
                case NoticeKind.Reread or NoticeKind.Recheck:
                    if (store.IsDraining) return new(ReadStatus.Released);
                    LogRead read;
                    try
                    {
                        read = await ReadOnceAsync(after, detach: false); // everything after `after`, the batch included
                    }
                    catch (SessionStoreUnavailableException) when (notice.Kind == NoticeKind.Recheck)
                    {
                        store.RecheckLater(id); // Redis still does not answer: look again later, the stream or poll stays
                        continue;
                    }
                    if (read.Status != ReadStatus.Empty) return read;
                    batch.Clear();
                    continue;
                default:
                    continue; // about an older reader of this session on this instance
            }
        }
    }

    // The attach script, and for a topic's subscriber the broadcasts it has not taken yet: the topic's head is read in
    // the same round trip, and only when broadcasts came since its last read does the reader take them (a second one).
    private async Task<LogRead> AttachReadAsync(long? cursor, string how)
    {
        if (_topic is null && store.TopicOf(id) is { } topic)
        {
            await store.Feeds.ReaderArrivesAsync(topic, id); // listening before the cursor is read: no broadcast falls between
            _topic = topic;
        }
        var head = _topic is null ? null : store.Feeds.HeadAsync(_topic);
        var r = await store.EvalAsync(RedisScripts.Attach, id, cursor is { } c ? c : RedisValue.EmptyString, store.Instance, how);
        switch (RedisSessionStore.Status(r))
        {
            case "ok":
                _reader = (long)r[1];
                _attached = (string)r[3]! == "1";
                store.Touched(id, transport);
                if (_attached) store.ReaderAttached(id, _reader);
                _after = (long)r[2];
                _expectedSeq = (long)r[9];
                long last = (long)r[4];
                var read = Batch(_after, last, (long)r[5], _after, (RedisResult[])r[6]!);
                if (head is null) return read;
                var taken = await store.Feeds.CatchUpAsync(_topic!, id, (long)r[8], (long)await RedisSessionStore.Guard(head), last);
                if (taken is null) return read;
                if (RedisSessionStore.Status(taken) != "ok") return await ClosedReadAsync(taken);
                if (_holds && taken.Length > 5 && ((RedisResult[])taken[5]!).Length > 0) Detached(); // handed to a held poll: detached
                var more = Batch((long)taken[2], (long)taken[3], (long)taken[4], (long)taken[2], (RedisResult[])taken[5]!);
                return Join(read, more);
            case "ahead":
                return new(ReadStatus.BadCursor, Detail: $"{cursor} is ahead of the newest message ({(long)r[1]}): send the position of the last message you received.");
            case "behind":
                return new(ReadStatus.BadCursor, Detail: $"{cursor} is behind one already acknowledged ({(long)r[1]}): messages up to it were dropped; send the position of the last message you received.");
            default:
                return await ClosedReadAsync(r);
        }
    }

    // Two reads of consecutive parts of the log, as one.
    private static LogRead Join(LogRead first, LogRead then) => first.Status != ReadStatus.Messages ? then : then.Status != ReadStatus.Messages ? first
        : first with { Cursor = then.Cursor, Messages = [.. first.Messages!, .. then.Messages!], FirstQueuedAt = [.. first.FirstQueuedAt!, .. then.FirstQueuedAt!] };

    private async Task<LogRead> ReadOnceAsync(long after, bool detach)
    {
        var r = await store.EvalAsync(RedisScripts.Read, id, after, _reader, detach ? "1" : "0");
        if (detach) Detached();
        switch (RedisSessionStore.Status(r))
        {
            case "msgs":
                return Batch(after, (long)r[1], (long)r[2], (long)r[3], (RedisResult[])r[4]!);
            case "empty":
                return new(ReadStatus.Empty);
            case "superseded":
                Detached();
                return new(ReadStatus.Superseded);
            default:
                Detached();
                return await ClosedReadAsync(r);
        }
    }

    // Entries "<bytes> <queued ms> <text>" for the messages from + 1 .. last, of which those up to handedBefore were read before.
    private static LogRead Batch(long after, long last, long handedBefore, long from, RedisResult[] entries)
    {
        if (last <= after || entries.Length == 0) return new(ReadStatus.Empty);
        var messages = new string[entries.Length];
        var firstQueuedAt = new long[entries.Length];
        for (int i = 0; i < entries.Length; i++)
        {
            string entry = (string)entries[i]!;
            int one = entry.IndexOf(' ', StringComparison.Ordinal), two = entry.IndexOf(' ', one + 1);
            messages[i] = entry[(two + 1)..];
            if (from + 1 + i <= handedBefore) continue; // read before: a resend (0)
            firstQueuedAt[i] = RedisSessionStore.LocalTimestampOf(long.Parse(entry.AsSpan(one + 1, two - one - 1), CultureInfo.InvariantCulture));
        }
        return new(ReadStatus.Messages, last, messages, FirstQueuedAt: firstQueuedAt, FirstSeq: from + 1);
    }

    // Messages after + 1 .. handed over by notices: read for the first time.
    private static LogRead Handed(long after, List<Notice> batch) => new(ReadStatus.Messages, after + batch.Count,
        [.. batch.Select(n => n.Text!)], FirstQueuedAt: [.. batch.Select(n => RedisSessionStore.LocalTimestampOf(n.QueuedAtMs))], FirstSeq: after + 1);

    private void Detached()
    {
        if (!_attached) return;
        _attached = false;
        store.ReaderDetached(id, _reader);
    }

    public async ValueTask DetachAsync(long reader)
    {
        bool attached = _attached;
        EndReading();
        if (attached) await store.EvalAsync(RedisScripts.Detach, id, _reader);
    }

    private void EndReading()
    {
        Detached();
        _inbox?.Dispose();
        _inbox = null;
        if (_topic is not null) store.Feeds.ReaderLeaves(_topic, id);
        _topic = null;
    }

    public async ValueTask CloseAsync(string reason) => await store.EndedAsync(id, await store.EvalAsync(RedisScripts.Close, id, reason));

    // The endpoint answers 410 with the reason the store now knows for the session (none when it expired).
    private async Task<SendResult> ClosedSendAsync(RedisResult[] r)
    {
        await store.EndedAsync(id, r);
        return new(SendStatus.Closed);
    }

    // Closed (with its reason) or gone (expired: the generic 410).
    private async Task<LogRead> ClosedReadAsync(RedisResult[] r) => new(ReadStatus.Closed, Detail: await store.EndedAsync(id, r));
}
