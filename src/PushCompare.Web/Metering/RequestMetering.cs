namespace PushCompare.Web.Metering;

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

        public void Dispose()
        {
        }
    }
}
