using PushCompare.Web.Messaging;
using PushCompare.Metering;

namespace PushCompare.Web.Sessions;

/// <summary>Why a session could not be opened.</summary>
internal enum OpenRefusal
{
    None,
    TooMany,      // MaxSessions are open: 503
    ShuttingDown, // this server is stopping: 503
}

/// <summary>A session just opened, or why none was.</summary>
internal readonly record struct SessionOpening(IMessageSession? Session, OpenRefusal Refusal);

/// <summary>
/// Where a session id leads: a live (or just-closed) session, one that is gone (410, <paramref name="WasIssued"/>), or
/// nothing (404). <paramref name="StatsKey"/> names the figures of an issued id even when its session is gone.
/// </summary>
internal readonly record struct SessionFound(IMessageSession? Session, bool WasIssued, string? StatsKey);

/// <summary>How a reader reads a session's log: a poll answers once; a stream (SSE, a session-mode WebSocket) stays and is sent every message as it comes.</summary>
internal enum ReaderKind
{
    Poll,
    Stream,
}

/// <summary>
/// Result of accepting a client's message; <paramref name="ExpectedSeq"/> is what a refused gap should have carried,
/// <paramref name="Problem"/> why an acknowledgement was refused.
/// </summary>
internal readonly record struct SendResult(SendStatus Status, long ExpectedSeq = 0, string? Problem = null);

/// <summary>
/// A reader's attach: Empty with <paramref name="Reader"/> set (it now owns the log, reading after
/// <paramref name="Cursor"/>, everything up to which is acknowledged), or the refusal in <paramref name="Read"/>
/// (Closed, Drained, BadCursor, Released). <paramref name="ExpectedSeq"/> is the client's <c>seq</c> the session
/// accepts next, as of the attach: a client resends its unconfirmed messages from it.
/// </summary>
internal readonly record struct Attachment(LogRead Read, long Reader, long Cursor, long ExpectedSeq = 0);

/// <summary>
/// The sessions of long polling, short polling, SSE and the WebSocket's session mode, as the endpoints use them (any
/// transport reads and sends to any session): one store per process, in memory
/// (<see cref="SessionStore"/>, the default) or shared by every instance through Redis
/// (<see cref="Backplane.RedisSessionStore"/>). A shared store that cannot be reached throws
/// <see cref="SessionStoreUnavailableException"/> from any operation; the endpoints answer it with 503 and Retry-After.
/// </summary>
internal interface ISessionStore
{
    MessageSessionOptions Options { get; }

    /// <summary>This instance is shutting down (it opens no session, and with a shared store serves no new reader).</summary>
    bool IsDraining { get; }

    /// <summary>Other instances serve the same sessions, so a session's figures start wherever a request of it lands.</summary>
    bool IsShared { get; }

    /// <summary>Sessions of <paramref name="transport"/> open now (with a shared store: on every instance, refreshed every second).</summary>
    int OpenCountOf(TransportDescriptor transport);

    ValueTask<SessionOpening> OpenAsync(TransportDescriptor transport, EchoMode mode, TimeSpan defaultWait);

    ValueTask<SessionFound> FindAsync(string id);

    /// <summary>
    /// Queues <paramref name="text"/> on the log of session <paramref name="id"/>, whichever instance its reader is on
    /// (a broadcast topic's fan-out). False when the session is unknown, gone or closed, or closes now (backlog full).
    /// </summary>
    ValueTask<bool> AppendAsync(string id, string text);

    /// <summary>Server stopping: what "drain" means for this store (docs/protocol.md, "Shutdown" and "Redis").</summary>
    Task DrainAsync(TimeSpan timeout, CancellationToken cancel);
}

/// <summary>One session as an endpoint holds it for the length of a request (docs/protocol.md describes each operation).</summary>
internal interface IMessageSession
{
    string Id { get; }

    /// <summary>The key of this session's figures in <c>/api/stats</c>; it grants nothing (docs/measuring.md).</summary>
    string StatsKey { get; }

    TransportDescriptor Transport { get; }

    EchoMode Mode { get; }

    /// <summary>
    /// How long a poll without its own wait is held: <c>POST /poll?wait=W</c>, else the poll timeout
    /// (<see cref="SessionEndpoints.UntilPollTimeout"/> for a session opened by SSE or a WebSocket).
    /// </summary>
    TimeSpan DefaultWait { get; }

    /// <summary>Why the session ended (null while it is open), as of when it was found.</summary>
    string? CloseReason { get; }

    /// <summary>Closed by the server's shutdown after the client acknowledged everything: nothing was lost.</summary>
    bool Drained { get; }

    /// <summary>Cancelled when the session ends, so work that serves it (a push stream) stops then.</summary>
    CancellationToken Ended { get; }

    /// <summary>Hands the session its figures' lease, ended when the session ends.</summary>
    void TrackFigures(IDisposable figures);

    /// <summary>
    /// Acknowledges up to <paramref name="acknowledge"/> (when given; ahead of what was sent refuses the whole send), then
    /// accepts the client's message number <paramref name="seq"/> (null: no de-duplication) and queues <paramref name="reply"/>, atomically.
    /// </summary>
    ValueTask<SendResult> AcceptAsync(long? seq, string reply, long? acknowledge = null);

    /// <summary>Queues a message the server makes (a push tick). False when the session is closed or closes now.</summary>
    ValueTask<bool> EnqueueAsync(string text);

    /// <summary>Acknowledges up to <paramref name="upTo"/>; the reason when it is ahead of what was sent.</summary>
    ValueTask<(bool Ok, string? Problem)> AcknowledgeAsync(long upTo);

    /// <summary>
    /// Becomes the one reader after acknowledging up to <paramref name="cursor"/> (null: from what is acknowledged); an
    /// older reader is superseded, whatever its transport. <paramref name="kind"/> says how this one reads.
    /// </summary>
    ValueTask<Attachment> AttachAsync(long? cursor, ReaderKind kind);

    /// <summary>The messages after <paramref name="after"/> at once or within <paramref name="wait"/>; ends early when superseded, closed or drained.</summary>
    Task<LogRead> ReadAsync(long after, long reader, TimeSpan wait, CancellationToken aborted);

    /// <summary>The reader is done (its poll answered, its stream ended).</summary>
    ValueTask DetachAsync(long reader);

    ValueTask CloseAsync(string reason);
}

/// <summary>The shared store (Redis) did not answer in time or is unreachable; the request is answered 503 with Retry-After.</summary>
internal sealed class SessionStoreUnavailableException(string message, Exception inner) : Exception(message, inner);

/// <summary>The reading logic every store shares, written once.</summary>
internal static class SessionReads
{
    /// <summary>A long poll: acknowledges up to <paramref name="cursor"/>, then answers at once or holds for a message, the timeout or a newer poll.</summary>
    public static async Task<LogRead> PollAsync(this IMessageSession session, long cursor, TimeSpan timeout, CancellationToken aborted)
    {
        var attached = await session.AttachAsync(cursor, ReaderKind.Poll);
        if (attached.Reader == 0) return attached.Read;
        try
        {
            var read = await session.ReadAsync(cursor, attached.Reader, timeout, aborted);
            return read.Status == ReadStatus.Superseded ? new(ReadStatus.Empty) : read;
        }
        finally
        {
            await session.DetachAsync(attached.Reader);
        }
    }
}
