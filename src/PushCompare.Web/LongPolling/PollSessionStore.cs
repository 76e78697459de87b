using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using PushCompare.Web.Messaging;

namespace PushCompare.Web.LongPolling;

/// <summary>Where a session id leads: a live (or just-closed) session, one that is gone (410), or nothing (404).</summary>
internal readonly record struct SessionLookup(PollSession? Session, bool WasIssued);

/// <summary>All polling sessions of this process, bounded by <see cref="LongPollingOptions.MaxSessions"/>.</summary>
internal sealed class PollSessionStore(IOptions<LongPollingOptions> options, SessionIds ids, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, PollSession> _sessions = new(StringComparer.Ordinal);
    private int _open;

    public LongPollingOptions Options => options.Value;

    public bool IsDraining => _draining;

    /// <summary>Sessions held in memory: open ones plus closed ones kept one idle period for their 410 reason.</summary>
    public int TrackedCount => _sessions.Count;

    /// <summary>Sessions open now (closed ones waiting to be swept are not counted).</summary>
    public int OpenCount => Volatile.Read(ref _open);

    /// <summary>
    /// Opens a session whose polls hold for <paramref name="defaultWait"/> unless they say otherwise (default: the poll
    /// timeout), or returns null when <see cref="LongPollingOptions.MaxSessions"/> are already open.
    /// </summary>
    public PollSession? TryOpen(EchoMode mode, TimeSpan? defaultWait = null)
    {
        if (_draining) return null;
        if (Interlocked.Increment(ref _open) > options.Value.MaxSessions)
        {
            Interlocked.Decrement(ref _open);
            return null;
        }
        var session = new PollSession(ids.NewId(), mode, options.Value, time, OnClosed, defaultWait);
        _sessions[session.Id] = session;
        return session;
    }

    public SessionLookup Find(string id) =>
        _sessions.TryGetValue(id, out var session) ? new(session, true) : new(null, ids.WasIssued(id));

    private readonly TaskCompletionSource _allClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _draining;

    // A closed session stays findable for one idle period so its client learns why (410 with the reason).
    private void OnClosed(PollSession session)
    {
        if (Interlocked.Decrement(ref _open) == 0 && _draining) _allClosed.TrySetResult();
    }

    /// <summary>
    /// Server stopping: no new sessions; each open one closes once its client has acknowledged what is queued.
    /// After <paramref name="timeout"/> the rest are closed with a reason naming the undelivered messages.
    /// </summary>
    public async Task DrainAsync(TimeSpan timeout, CancellationToken cancel)
    {
        _draining = true;
        foreach (var session in _sessions.Values) session.BeginDrain();
        if (OpenCount == 0) return;
        try
        {
            await _allClosed.Task.WaitAsync(timeout, time, cancel);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            foreach (var session in _sessions.Values) session.CloseUndrained();
        }
    }

    /// <summary>Removes sessions idle past the timeout (later requests get a generic 410) and closed ones whose reason was kept long enough.</summary>
    public int Sweep()
    {
        var idle = options.Value.IdleTimeout;
        int removed = 0;
        foreach (var (id, session) in _sessions)
        {
            if (!session.IsExpired(idle)) continue;
            session.Close("The session expired.");
            if (_sessions.TryRemove(id, out _)) removed++;
        }
        return removed;
    }

}
