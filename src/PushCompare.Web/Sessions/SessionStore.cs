using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;
using PushCompare.Web.Messaging;
using PushCompare.Metering;

namespace PushCompare.Web.Sessions;

/// <summary>Where a session id leads: a live (or just-closed) session, one that is gone (410), or nothing (404).</summary>
internal readonly record struct SessionLookup(MessageSession? Session, bool WasIssued);

/// <summary>All sessions of this process (long polling, short polling, SSE), bounded by <see cref="MessageSessionOptions.MaxSessions"/>.</summary>
internal sealed class SessionStore(IOptions<MessageSessionOptions> options, SessionIds ids, TimeProvider time) : ISessionStore
{
    private readonly ConcurrentDictionary<string, MessageSession> _sessions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<TransportDescriptor, StrongBox<int>> _openBy = new();
    private int _open;
    private int _draining; // 1 once shutdown began; Interlocked, so TryOpen and DrainAsync cannot both miss each other

    public MessageSessionOptions Options => options.Value;

    public bool IsDraining => Volatile.Read(ref _draining) == 1;

    public SessionIds Ids => ids;

    /// <summary>Sessions held in memory: open ones plus closed ones kept one idle period for their 410 reason.</summary>
    public int TrackedCount => _sessions.Count;

    /// <summary>Sessions open now (closed ones waiting to be swept are not counted).</summary>
    public int OpenCount => Volatile.Read(ref _open);

    /// <summary>Sessions of <paramref name="transport"/> open now: the exact figure /api/stats and the gauge show.</summary>
    public int OpenCountOf(TransportDescriptor transport) => _openBy.TryGetValue(transport, out var n) ? Volatile.Read(ref n.Value) : 0;

    /// <summary>
    /// Opens a session of <paramref name="transport"/> (which its opening endpoint decided, once), whose reads hold for
    /// <paramref name="defaultWait"/> unless they say otherwise. False when <see cref="MessageSessionOptions.MaxSessions"/> are
    /// already open or the server is draining.
    /// </summary>
    public bool TryOpen(TransportDescriptor transport, EchoMode mode, TimeSpan defaultWait, [NotNullWhen(true)] out MessageSession? session)
    {
        session = null;
        if (IsDraining) return false;
        if (Interlocked.Increment(ref _open) > options.Value.MaxSessions)
        {
            Interlocked.Decrement(ref _open);
            return false;
        }
        Interlocked.Increment(ref _openBy.GetOrAdd(transport, static _ => new StrongBox<int>()).Value);
        string id = ids.NewId();
        var opened = new MessageSession(id, ids.StatsKey(id), transport, mode, defaultWait, options.Value, time, OnClosed);
        _sessions[id] = opened;
        // A drain that began after the check above may have walked the sessions before this one was added: drain it
        // here, so it cannot hold shutdown for the whole drain timeout. (Interlocked on both sides: one sees the other.)
        if (Interlocked.CompareExchange(ref _draining, 0, 0) == 1 && opened.BeginDrain()) return false;
        session = opened;
        return true;
    }

    public SessionLookup Find(string id) =>
        _sessions.TryGetValue(id, out var session) ? new(session, true) : new(null, ids.WasIssued(id));

    // ISessionStore: in memory every operation completes at once.
    public bool IsShared => false;

    public ValueTask<SessionOpening> OpenAsync(TransportDescriptor transport, EchoMode mode, TimeSpan defaultWait) =>
        ValueTask.FromResult(TryOpen(transport, mode, defaultWait, out var session) ? new SessionOpening(session, OpenRefusal.None)
            : new SessionOpening(null, IsDraining ? OpenRefusal.ShuttingDown : OpenRefusal.TooMany));

    public ValueTask<SessionFound> FindAsync(string id)
    {
        var found = Find(id);
        return ValueTask.FromResult(new SessionFound(found.Session, found.WasIssued, found.WasIssued ? found.Session?.StatsKey ?? ids.StatsKey(id) : null));
    }

    public ValueTask<bool> AppendAsync(string id, string text) =>
        ValueTask.FromResult(_sessions.TryGetValue(id, out var session) && session.Enqueue(text));

    private readonly TaskCompletionSource _allClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // A closed session stays findable for one idle period so its client learns why (410 with the reason).
    private void OnClosed(MessageSession session)
    {
        Interlocked.Decrement(ref _openBy[session.Transport].Value);
        if (Interlocked.Decrement(ref _open) == 0 && IsDraining) _allClosed.TrySetResult();
    }

    /// <summary>
    /// Server stopping: no new sessions; each open one closes once its client has acknowledged what is queued.
    /// After <paramref name="timeout"/> the rest are closed with a reason naming the undelivered messages.
    /// </summary>
    public async Task DrainAsync(TimeSpan timeout, CancellationToken cancel)
    {
        Interlocked.Exchange(ref _draining, 1);
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
