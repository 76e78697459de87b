namespace PushCompare.Metering;

/// <summary>
/// What a transport tells the metering about the request it serves (an HTTP feature the metering sets on every metered
/// request). Until a transport claims it, a request counts as <see cref="TransportRegistry.Other"/>; the bytes it
/// moved before the claim (its head, at least) move with it.
/// </summary>
public interface IRequestMetering
{
    /// <summary>
    /// Counts this request to <paramref name="transport"/> and to the session listed as <paramref name="sessionKey"/>
    /// when the metering tracks one. With a null transport the tracked session's own transport is used (a late request
    /// of a session its transport has forgotten); a request nobody can place stays "other".
    /// </summary>
    void Attribute(TransportDescriptor? transport, string? sessionKey);

    /// <summary>
    /// Starts a session's figures under <paramref name="key"/> (null: a key made from the connection) and counts this
    /// request to it. False when the key already names another session, whose figures stay its own; the caller refuses
    /// the request. Dispose <paramref name="session"/> when the session ends.
    /// </summary>
    bool TryOpenSession(TransportDescriptor transport, string? key, out IDisposable session);

    /// <summary>
    /// As <see cref="TryOpenSession(TransportDescriptor, string?, out IDisposable)"/> for a key issued as
    /// <paramref name="keying"/> says, whatever the opening transport's own keying (a server-issued session opened on a
    /// transport whose plain connections name their own keys).
    /// </summary>
    bool TryOpenSession(TransportDescriptor transport, string? key, SessionKeying keying, out IDisposable session);

    /// <summary>A client message of <paramref name="payloadBytes"/> arrived and its reply is created now; returns that moment for <see cref="MessageDelivered"/>.</summary>
    long MessageReceived(long payloadBytes);

    /// <summary>A message was handed to the connection (e.g. SendAsync completed); <paramref name="createdAt"/> is a Stopwatch timestamp, 0 if unknown.</summary>
    void MessageDelivered(long payloadBytes, long createdAt);

    /// <summary>
    /// The response carries this batch of messages; each counts as delivered when the response's next byte is written.
    /// <paramref name="firstQueuedAt"/>: per message, when it was queued if this is its first delivery, else 0 (a resend).
    /// </summary>
    void Delivering(string[] messages, long[] firstQueuedAt);
}

public static class RequestMetering
{
    /// <summary>The request's metering, or one that does nothing (metering off, or not on a metered connection).</summary>
    public static IRequestMetering Of(HttpContext context) => context.Features.Get<IRequestMetering>() ?? Unmetered.Instance;

    private sealed class Unmetered : IRequestMetering, IDisposable
    {
        public static readonly Unmetered Instance = new();

        public void Attribute(TransportDescriptor? transport, string? sessionKey)
        {
        }

        public bool TryOpenSession(TransportDescriptor transport, string? key, out IDisposable session)
        {
            session = this;
            return true;
        }

        public bool TryOpenSession(TransportDescriptor transport, string? key, SessionKeying keying, out IDisposable session) =>
            TryOpenSession(transport, key, out session);

        public long MessageReceived(long payloadBytes) => 0;

        public void MessageDelivered(long payloadBytes, long createdAt)
        {
        }

        public void Delivering(string[] messages, long[] firstQueuedAt)
        {
        }

        public void Dispose()
        {
        }
    }
}
