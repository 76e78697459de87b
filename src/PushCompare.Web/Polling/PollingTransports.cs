using PushCompare.Metering;

namespace PushCompare.Web.Polling;

/// <summary>
/// The two transports of <c>/poll</c>. They share every endpoint; a session is one or the other from the moment it
/// opens: <see cref="For"/> is the one place that decides.
/// </summary>
public static class PollingTransports
{
    public static readonly TransportDescriptor LongPoll = new("longpoll", "Long polling", SessionKeying.ServerIssued);
    public static readonly TransportDescriptor ShortPoll = new("shortpoll", "Short polling", SessionKeying.ServerIssued);

    /// <summary>A session opened with <c>wait=0</c> answers every poll at once: short polling.</summary>
    public static TransportDescriptor For(TimeSpan defaultWait) => defaultWait == TimeSpan.Zero ? ShortPoll : LongPoll;
}
