using PushCompare.Web.Messaging;
using PushCompare.Web.Metering;

namespace PushCompare.Web.LongPolling;

/// <summary>What a poll ends with; the endpoint maps each to one status code (docs/protocol.md).</summary>
internal enum PollStatus
{
    Messages,   // 200 with a batch
    Empty,      // 204: timed out, or a newer poll took over
    Closed,     // 410 with CloseReason
    BadCursor,  // 400 with Detail
}

/// <summary>What happened to a client's message; the endpoint maps each to a status code.</summary>
internal enum SendStatus
{
    Accepted,   // 202, reply queued
    Duplicate,  // 202 again: this seq was accepted before, nothing queued twice
    Gap,        // 409: a seq was skipped
    ShuttingDown, // 503: the server is draining and accepts nothing new
    Closed,     // 410 with CloseReason
}

/// <param name="FirstQueuedAt">Per message, the timestamp it was queued at if this is its first delivery, else 0 (a resend).</param>
internal readonly record struct PollResult(PollStatus Status, long Cursor = 0, string[]? Messages = null, string? Detail = null, long[]? FirstQueuedAt = null);

/// <summary>
/// The server side of one long-polling client: an ordered queue of outgoing messages numbered 1, 2, 3…
/// A message is dropped only when a later poll's cursor acknowledges it, so a response lost in flight is sent again.
/// At most one poll is held; a newer poll completes the older one (204) and takes over.
/// </summary>
internal sealed class PollSession(string id, string statsKey, TransportDescriptor transport, EchoMode mode, TimeSpan defaultWait,
    LongPollingOptions options, TimeProvider time, Action<PollSession> onClosed)
{
    private readonly Lock _gate = new();
    private readonly Queue<(long Seq, string Text, int Bytes, long QueuedAt)> _unacked = new();
    private long _lastSeq;      // number of the newest message queued
    private long _ackedSeq;     // every message up to this number was acknowledged and dropped
    private long _handedOutSeq; // every message up to this number was in some batch already (later copies are resends)
    private long _backlogBytes;
    private TaskCompletionSource<bool>? _heldPoll; // completes true when messages arrive, false when superseded or closed
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

    /// <summary>How long a poll without <c>wait</c> is held: <c>POST /poll?wait=W</c>, else the poll timeout.</summary>
    public TimeSpan DefaultWait { get; } = defaultWait;

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
    /// Cancelled when the session ends, so work that serves it — a push stream — stops then, not at its next tick (which
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

    /// <summary>Why the session ended (null while it is open); sent with every later 410.</summary>
    public string? CloseReason { get; private set; }

    /// <summary>The client's sequence number the next message must carry.</summary>
    public long ExpectedClientSeq
    {
        get { lock (_gate) return _clientSeq + 1; }
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
                CloseLocked($"The session's backlog passed its limit ({options.MaxBacklogMessages} messages or {options.MaxBacklogBytes} bytes " +
                    "unacknowledged): the client stopped polling or fell behind. Open a new session with POST /poll.");
                return false;
            }
            _unacked.Enqueue((++_lastSeq, text, bytes, time.GetTimestamp()));
            _backlogBytes += bytes;
            _heldPoll?.TrySetResult(true);
            return true;
        }
    }

    /// <summary>Acknowledges everything up to <paramref name="cursor"/>, then answers at once or holds until a message, the timeout or a newer poll.</summary>
    public async Task<PollResult> PollAsync(long cursor, TimeSpan timeout, CancellationToken aborted)
    {
        TaskCompletionSource<bool> held;
        lock (_gate)
        {
            if (CloseReason is not null) return new(PollStatus.Closed, Detail: CloseReason);
            if (cursor > _lastSeq)
                return new(PollStatus.BadCursor, Detail: $"cursor={cursor} is ahead of the newest message ({_lastSeq}): send the cursor of the last response you received.");
            if (cursor < _ackedSeq)
                return new(PollStatus.BadCursor, Detail: $"cursor={cursor} is behind one already acknowledged ({_ackedSeq}): messages up to it were dropped; send the cursor of the last response you received.");

            Acknowledge(cursor);
            _lastActivity = time.GetTimestamp();
            if (_draining && _unacked.Count == 0)
            {
                CloseLocked(ShutdownReason);
                return new(PollStatus.Closed, Detail: CloseReason);
            }
            _heldPoll?.TrySetResult(false); // one poll per session: the older one answers 204 now
            _heldPoll = null;
            if (_unacked.Count > 0 || timeout == TimeSpan.Zero) return BatchLocked();
            held = _heldPoll = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        bool hasMessages;
        try
        {
            hasMessages = await held.Task.WaitAsync(timeout, time, aborted);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            hasMessages = false;
        }

        lock (_gate)
        {
            bool stillCurrent = ReferenceEquals(_heldPoll, held);
            if (stillCurrent) _heldPoll = null;
            _lastActivity = time.GetTimestamp();
            if (CloseReason is not null) return new(PollStatus.Closed, Detail: CloseReason);
            // A superseded poll answers empty even if messages raced in: the newer poll carries them.
            return hasMessages && stillCurrent ? BatchLocked() : new(PollStatus.Empty);
        }
    }

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

    /// <summary>Ends the session: frees its queue and answers a held poll with 410.</summary>
    public void Close(string reason)
    {
        lock (_gate) CloseLocked(reason);
    }

    /// <summary>True when the session is closed, or has had no poll held or started for <paramref name="idleTimeout"/>.</summary>
    public bool IsExpired(TimeSpan idleTimeout)
    {
        lock (_gate)
        {
            return _heldPoll is null && time.GetElapsedTime(_lastActivity) >= idleTimeout;
        }
    }

    private void CloseLocked(string reason)
    {
        if (CloseReason is not null) return;
        CloseReason = reason;
        onClosed(this);
        _lastActivity = time.GetTimestamp(); // closed sessions linger one idle period so their reason reaches the client
        _unacked.Clear();
        _backlogBytes = 0;
        _heldPoll?.TrySetResult(false);
        _heldPoll = null;
        _figures?.Dispose();
        _figures = null;
        _ended?.Cancel(); // its only listener is a push stream's linked token; the stream resumes asynchronously
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

    private PollResult BatchLocked()
    {
        if (_unacked.Count == 0) return new(PollStatus.Empty);
        var messages = new string[_unacked.Count];
        var firstQueuedAt = new long[_unacked.Count];
        int i = 0;
        foreach (var (seq, text, _, queuedAt) in _unacked)
        {
            firstQueuedAt[i] = seq > _handedOutSeq ? queuedAt : 0;
            messages[i++] = text;
        }
        _handedOutSeq = _lastSeq;
        return new(PollStatus.Messages, _lastSeq, messages, FirstQueuedAt: firstQueuedAt);
    }
}
