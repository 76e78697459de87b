namespace PushCompare.Web.Metering;

/// <summary>What a request (and so its bytes) is counted as. "Other" (the page, /api/stats, unknown paths) stays out of the comparison.</summary>
public enum WireTransport
{
    WebSocket,
    LongPoll,
    ShortPoll,
    Other,
}

internal static class WireTransports
{
    public static readonly WireTransport[] All = [WireTransport.WebSocket, WireTransport.LongPoll, WireTransport.ShortPoll, WireTransport.Other];

    /// <summary>The name used in JSON, metric tags and docs.</summary>
    public static string Name(this WireTransport transport) => transport switch
    {
        WireTransport.WebSocket => "websocket",
        WireTransport.LongPoll => "longpoll",
        WireTransport.ShortPoll => "shortpoll",
        _ => "other",
    };

    public static bool IsPolling(this WireTransport transport) => transport is WireTransport.LongPoll or WireTransport.ShortPoll;
}
