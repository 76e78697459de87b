using PushCompare.Web.Messaging;
using PushCompare.Metering;

namespace PushCompare.Web.Sessions;

/// <summary>What a read of the session's log ends with; each transport maps it to its own answer (docs/protocol.md).</summary>
internal enum ReadStatus
{
    Messages,   // messages after the reader's position
    Empty,      // nothing within the wait (timed out, or wait 0)
    Superseded, // a newer reader took over
    Closed,     // the session ended: Detail says why
    Drained,    // the server is stopping and the client acknowledged everything: the session is closed
    BadCursor,  // the acknowledged position is impossible: Detail says why
    Released,   // this instance is stopping but the session lives on in a shared store: the client reads again elsewhere
}

/// <summary>What happened to a client's message; the endpoint maps each to a status code.</summary>
internal enum SendStatus
{
    Accepted,   // 202, reply queued
    Duplicate,  // 202 again: this seq was accepted before, nothing queued twice
    Gap,        // 409: a seq was skipped
    AckAhead,   // 400: the send's acknowledgement is ahead of what was sent; nothing accepted
    ShuttingDown, // 503: the server is draining and accepts nothing new
    Closed,     // 410 with CloseReason
}

/// <param name="Cursor">Sequence number of the last message in <paramref name="Messages"/>.</param>
/// <param name="FirstQueuedAt">Per message, the timestamp it was queued at if this is its first delivery, else 0 (a resend).</param>
internal readonly record struct LogRead(ReadStatus Status, long Cursor = 0, string[]? Messages = null, string? Detail = null,
    long[]? FirstQueuedAt = null, long FirstSeq = 0);

/// <summary>
/// The server side of one session-based client (polling, SSE, a WebSocket in session mode, or each in turn): an ordered log of outgoing messages numbered 1, 2, 3… A message is
/// dropped only when the client acknowledges it (a poll's cursor, a stream's Last-Event-ID, an explicit ack), so a
/// response or stream cut in flight is sent again. The log has one reader at a time (a held poll or an open stream);
/// a newer reader ends the older one. The upstream is sequenced: a retried message is accepted once.
/// </summary>
internal sealed class MessageSession(string id, string statsKey, TransportDescriptor transport, EchoMode mode, TimeSpan defaultWait,
    MessageSessionOptions options, TimeProvider time, Action<MessageSession> onClosed) : IMessageSession
{
    private readonly Lock _gate = new();
    private readonly Queue<(long Seq, string Text, int Bytes, long QueuedAt)> _unacked = new();
    private long _lastSeq;      // number of the newest message queued
    private long _ackedSeq;     // every message up to this number was acknowledged and dropped
    private long _handedOutSeq; // every message up to this number was read already (later copies are resends)
    private long _backlogBytes;
    private long _reader;       // generation of the current reader; 0 = none ever
    private bool _readerActive; // a reader is attached (a poll held, a stream open): the session is in use, not idle
    private TaskCompletionSource<bool>? _wake; // completes true when messages arrive, false when superseded or closed
    private long _lastActivity = time.GetTimestamp();
    private long _clientSeq;    // the client's sequence number of the last message accepted
    private bool _draining;     // server stopping: accept nothing new, close once the client has acknowledged everything
    private IDisposable? _figures;            // the metering's lease on this session's figures, ended with the session
    private CancellationTokenSource? _ended;  // made only for a session that runs work of its own (a push stream)

    public string Id { get; } = id;

    /// <summary>The key of this session's figures in <c>/api/stats</c>; it grants nothing (docs/measuring.md).</summary>
    public string StatsKey { get; } = statsKey;

    /// <summary>The transport this session counts as, decided once when it opened.</summary>
    public TransportDescriptor Transport { get; } = transport;

    public EchoMode Mode { get; } = mode;

    /// <summary>How long a read without its own wait is held: <c>POST /poll?wait=W</c>, else the poll timeout.</summary>
    public TimeSpan DefaultWait { get; } = defaultWait;

    /// <summary>Why the session ended (null while it is open); sent with every later 410.</summary>
    public string? CloseReason { get; private set; }

    /// <summary>Closed by the server's shutdown after the client acknowledged everything: nothing was lost.</summary>
    public bool Drained => ReferenceEquals(CloseReason, ShutdownReason);

    /// <summary>A reader is attached: a poll is held or a stream is open.</summary>
    public bool IsBeingRead
    {
        get { lock (_gate) return _readerActive; }
    }

    /// <summary>Every message up to this number was acknowledged (where a reader without a position of its own starts).</summary>
    public long AcknowledgedSeq
    {
        get { lock (_gate) return _ackedSeq; }
    }

    /// <summary>The client's sequence number the next message must carry.</summary>
    public long ExpectedClientSeq
    {
        get { lock (_gate) return _clientSeq + 1; }
    }

    /// <summary>Hands the session its figures' lease, ended when the session ends (at once if it already has).</summary>
    public void TrackFigures(IDisposable figures)
    {
        lock (_gate)
        {
            if (CloseReason is null)
            {
                _figures = figures;
                return;
            }
        }
        figures.Dispose();
    }

    /// <summary>
    /// Cancelled when the session ends, so work that serves it — a push stream, a topic subscription — stops then, not at its next tick (which
    /// may be an hour away), and the session's memory is freed with it.
    /// </summary>
    public CancellationToken Ended
    {
        get
        {
            lock (_gate)
            {
                _ended ??= new CancellationTokenSource();
                if (CloseReason is not null) _ended.Cancel();
                return _ended.Token;
            }
        }
    }

    /// <summary>
    /// Accepts the client's message number <paramref name="seq"/> (null: no de-duplication) and queues its reply.
    /// A retried number is acknowledged again without a second reply; a skipped number is refused.
    /// The check and the queueing share one lock so a retry racing its original is still answered once.
    /// </summary>
    public SendStatus Accept(long? seq, Func<string> reply)
    {
        lock (_gate)
        {
            if (CloseReason is not null) return SendStatus.Closed;
            if (seq <= _clientSeq) return SendStatus.Duplicate;
            if (_draining) return SendStatus.ShuttingDown;
            if (seq > _clientSeq + 1) return SendStatus.Gap;
            if (!Enqueue(reply())) return SendStatus.Closed;
            if (seq is { } accepted) _clientSeq = accepted;
            return SendStatus.Accepted;
        }
    }

    /// <summary>Queues a message for the client. False when the session is closed (or closes now because the backlog is full).</summary>
    public bool Enqueue(string text)
    {
        lock (_gate)
        {
            if (CloseReason is not null || _draining) return false;
            int bytes = System.Text.Encoding.UTF8.GetByteCount(text);
            if (_unacked.Count + 1 > options.MaxBacklogMessages || _backlogBytes + bytes > options.MaxBacklogBytes)
            {
                CloseLocked(BacklogFullReason(options));
                return false;
            }
            _unacked.Enqueue((++_lastSeq, text, bytes, time.GetTimestamp()));
            _backlogBytes += bytes;
            _wake?.TrySetResult(true);
            return true;
        }
    }

    /// <summary>
    /// Acknowledges every message up to <paramref name="upTo"/> (the last one the client processed). An older position
    /// than one already acknowledged changes nothing; false with the reason when it is ahead of what was sent.
    /// </summary>
    public bool TryAcknowledge(long upTo, out string? problem)
    {
        lock (_gate)
        {
            problem = null;
            if (upTo > _handedOutSeq)
            {
                problem = AheadOfSent(upTo, _handedOutSeq);
                return false;
            }
            if (upTo > _ackedSeq) Acknowledge(upTo);
            _lastActivity = time.GetTimestamp();
            return true;
        }
    }

    /// <summary>
    /// Makes the caller the session's one reader, after acknowledging everything up to <paramref name="cursor"/>; an
    /// older reader is woken and told it was superseded. Fails (Closed, Drained, BadCursor) without attaching.
    /// </summary>
    public LogRead Attach(long cursor, out long reader)
    {
        lock (_gate)
        {
            reader = 0;
            if (CloseReason is not null) return new(ReadStatus.Closed, Detail: CloseReason);
            if (cursor > _lastSeq)
                return new(ReadStatus.BadCursor, Detail: $"{cursor} is ahead of the newest message ({_lastSeq}): send the position of the last message you received.");
            if (cursor < _ackedSeq)
                return new(ReadStatus.BadCursor, Detail: $"{cursor} is behind one already acknowledged ({_ackedSeq}): messages up to it were dropped; send the position of the last message you received.");

            Acknowledge(cursor);
            _lastActivity = time.GetTimestamp();
            if (_draining && _unacked.Count == 0)
            {
                CloseLocked(ShutdownReason);
                return new(ReadStatus.Drained, Detail: CloseReason);
            }
            _wake?.TrySetResult(false); // one reader per session: the older one is told now
            _wake = null;
            reader = ++_reader;
            _readerActive = true;
            return new(ReadStatus.Empty);
        }
    }

    /// <summary>
    /// The messages after <paramref name="after"/> at once, or when the first arrives within <paramref name="wait"/>.
    /// Ends early when a newer reader took over (Superseded), the session closed, or the server drains and the reader
    /// has everything (Drained: a stream ends so its client reconnects and acknowledges).
    /// </summary>
    public async Task<LogRead> ReadAsync(long after, long reader, TimeSpan wait, CancellationToken aborted)
    {
        while (true)
        {
            TaskCompletionSource<bool> wake;
            lock (_gate)
            {
                if (CloseReason is not null) return new(ReadStatus.Closed, Detail: CloseReason);
                if (reader != _reader) return new(ReadStatus.Superseded);
                _lastActivity = time.GetTimestamp();
                if (_lastSeq > after) return BatchLocked(after);
                if (_draining) return new(ReadStatus.Drained, Detail: ShutdownReason);
                if (wait <= TimeSpan.Zero) return new(ReadStatus.Empty);
                // A wake that already fired (it carried the messages just read) is spent: wait on a fresh one.
                if (_wake is not { Task.IsCompleted: false }) _wake = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                wake = _wake;
            }

            bool woken;
            try
            {
                woken = await wake.Task.WaitAsync(wait, time, aborted);
            }
            catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
            {
                lock (_gate)
                {
                    if (ReferenceEquals(_wake, wake)) _wake = null;
                    if (CloseReason is not null) return new(ReadStatus.Closed, Detail: CloseReason);
                    // A superseded reader answers empty even if messages raced in: the newer one carries them.
                    if (reader != _reader) return new(ReadStatus.Superseded);
                    return _lastSeq > after ? BatchLocked(after) : new(ReadStatus.Empty);
                }
            }
            if (!woken) wait = TimeSpan.Zero; // superseded or closed: the next turn of the loop says which
        }
    }

    /// <summary>The reader is done (its poll answered, its stream ended): the session is idle from now on.</summary>
    public void Detach(long reader)
    {
        lock (_gate)
        {
            if (reader != _reader) return;
            _readerActive = false;
            _lastActivity = time.GetTimestamp();
        }
    }

    /// <summary>Why a session whose backlog passed its limits was closed (every store says it in the same words).</summary>
    public static string BacklogFullReason(MessageSessionOptions options) =>
        $"The session's backlog passed its limit ({options.MaxBacklogMessages} messages or {options.MaxBacklogBytes} bytes " +
        "unacknowledged): the client stopped reading or acknowledging, or fell behind. Open a new session.";

    private const string ShutdownReason = "The server is shutting down; every message was delivered. Reconnect in a moment.";

    /// <summary>
    /// Server stopping: refuse new messages (503) and close as soon as the client has acknowledged what is queued,
    /// so nothing accepted with 202 is dropped silently. True when the session closed at once (nothing was queued).
    /// </summary>
    public bool BeginDrain()
    {
        lock (_gate)
        {
            _draining = true;
            if (_unacked.Count == 0) CloseLocked(ShutdownReason);
            _wake?.TrySetResult(false); // a waiting stream learns of the drain now
            return CloseReason is not null;
        }
    }

    /// <summary>Drain time is up: close, naming the messages the client never acknowledged.</summary>
    public void CloseUndrained()
    {
        lock (_gate)
        {
            CloseLocked(_unacked.Count == 0 ? ShutdownReason :
                $"The server shut down before messages {_ackedSeq + 1}..{_lastSeq} were acknowledged; they were not delivered.");
        }
    }

    /// <summary>Ends the session: frees its log and wakes its reader, which then answers the close.</summary>
    public void Close(string reason)
    {
        lock (_gate) CloseLocked(reason);
    }

    /// <summary>True when the session is closed, or has had no reader attached and no request for <paramref name="idleTimeout"/>.</summary>
    public bool IsExpired(TimeSpan idleTimeout)
    {
        lock (_gate)
        {
            return !_readerActive && time.GetElapsedTime(_lastActivity) >= idleTimeout;
        }
    }

    // IMessageSession for the in-memory store: every operation completes at once under the session's lock.
    /// <summary>Why an acknowledgement up to <paramref name="upTo"/> is refused when only <paramref name="handed"/> were sent.</summary>
    public static string AheadOfSent(long upTo, long handed) =>
        $"{upTo} is ahead of the last message sent ({handed}): acknowledge the id of the last event you processed.";

    ValueTask<SendResult> IMessageSession.AcceptAsync(long? seq, string reply, long? acknowledge)
    {
        if (acknowledge is { } upTo && !TryAcknowledge(upTo, out string? problem)) return ValueTask.FromResult(new SendResult(SendStatus.AckAhead, Problem: problem));
        var status = Accept(seq, () => reply);
        return ValueTask.FromResult(new SendResult(status, status == SendStatus.Gap ? ExpectedClientSeq : 0));
    }

    ValueTask<bool> IMessageSession.EnqueueAsync(string text) => ValueTask.FromResult(Enqueue(text));

    ValueTask<(bool Ok, string? Problem)> IMessageSession.AcknowledgeAsync(long upTo) =>
        ValueTask.FromResult((TryAcknowledge(upTo, out string? problem), problem));

    ValueTask<Attachment> IMessageSession.AttachAsync(long? cursor, ReaderKind kind)
    {
        lock (_gate)
        {
            long from = cursor ?? _ackedSeq;
            var read = Attach(from, out long reader);
            return ValueTask.FromResult(new Attachment(read, reader, from, _clientSeq + 1));
        }
    }

    ValueTask IMessageSession.DetachAsync(long reader)
    {
        Detach(reader);
        return ValueTask.CompletedTask;
    }

    ValueTask IMessageSession.CloseAsync(string reason)
    {
        Close(reason);
        return ValueTask.CompletedTask;
    }

    private void CloseLocked(string reason)
    {
        if (CloseReason is not null) return;
        CloseReason = reason;
        onClosed(this);
        _lastActivity = time.GetTimestamp(); // closed sessions linger one idle period so their reason reaches the client
        _readerActive = false;
        _unacked.Clear();
        _backlogBytes = 0;
        _wake?.TrySetResult(false);
        _wake = null;
        _figures?.Dispose();
        _figures = null;
        // Its listeners: a push stream's linked token (the stream resumes asynchronously) and a topic subscription, whose
        // removal takes only the bus's own lock (never held while the bus appends to a session).
        _ended?.Cancel();
    }

    private void Acknowledge(long cursor)
    {
        _ackedSeq = cursor;
        while (_unacked.TryPeek(out var head) && head.Seq <= cursor)
        {
            _unacked.Dequeue();
            _backlogBytes -= head.Bytes;
        }
    }

    // The unacknowledged messages after `after` (the log holds nothing older than the acknowledged position).
    private LogRead BatchLocked(long after)
    {
        int skip = (int)Math.Max(0, after - _ackedSeq);
        int count = _unacked.Count - skip;
        if (count <= 0) return new(ReadStatus.Empty);
        var messages = new string[count];
        var firstQueuedAt = new long[count];
        int i = 0;
        foreach (var (seq, text, _, queuedAt) in _unacked)
        {
            if (seq <= after) continue;
            firstQueuedAt[i] = seq > _handedOutSeq ? queuedAt : 0;
            messages[i++] = text;
        }
        _handedOutSeq = Math.Max(_handedOutSeq, _lastSeq);
        return new(ReadStatus.Messages, _lastSeq, messages, FirstQueuedAt: firstQueuedAt, FirstSeq: after + 1);
    }
}
