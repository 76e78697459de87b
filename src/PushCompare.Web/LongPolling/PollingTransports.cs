using PushCompare.Web.Metering;

namespace PushCompare.Web.LongPolling;

/// <summary>
/// The two transports of <c>/poll</c>. They share every endpoint; a session is one or the other from the moment it
/// opens (<see cref="PollSessionStore.TryOpen"/>): <c>wait=0</c> makes it short polling.
/// </summary>
public static class PollingTransports
{
    public static readonly TransportDescriptor LongPoll = new("longpoll", "Long polling", SessionKeying.ServerIssued);
    public static readonly TransportDescriptor ShortPoll = new("shortpoll", "Short polling", SessionKeying.ServerIssued);
}
