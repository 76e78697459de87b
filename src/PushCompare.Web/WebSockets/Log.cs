using System.Net.WebSockets;

namespace PushCompare.Web.WebSockets;

internal static partial class Log
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "WebSocket opened (echo mode {Mode})")]
    public static partial void Opened(ILogger logger, Messaging.EchoMode mode);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "WebSocket closed with {Status}")]
    public static partial void Closed(ILogger logger, WebSocketCloseStatus? status);

    [LoggerMessage(EventId = 102, Level = LogLevel.Information, Message = "WebSocket closed with 1009: a message exceeded {Limit} bytes")]
    public static partial void MessageTooBig(ILogger logger, int limit);

    [LoggerMessage(EventId = 103, Level = LogLevel.Debug, Message = "WebSocket failed ({Error}): {Reason}")]
    public static partial void ConnectionFailed(ILogger logger, WebSocketError error, string reason);

    [LoggerMessage(EventId = 104, Level = LogLevel.Information,
        Message = "WebSocket send did not complete within {Timeout} (WebSockets:SendTimeout): the peer is not reading, so the connection is aborted without a close frame")]
    public static partial void SendTimedOut(ILogger logger, TimeSpan timeout);

    [LoggerMessage(EventId = 106, Level = LogLevel.Information,
        Message = "WebSocket fell more than {Limit} broadcasts behind (WebSockets:MaxQueuedBroadcasts): the connection is reset so its client reconnects")]
    public static partial void FellBehind(ILogger logger, int limit);

    [LoggerMessage(EventId = 105, Level = LogLevel.Debug, Message = "WebSocket connection ended after the server's close frame: {Outcome}")]
    public static partial void EndedAfterClose(ILogger logger, CloseOutcome outcome);
}

/// <summary>What ended a connection once the server's close frame was out.</summary>
internal enum CloseOutcome
{
    /// <summary>The peer's close frame arrived (the handshake completed).</summary>
    PeerClosed,
    /// <summary>The peer closed the TCP connection without a close frame.</summary>
    PeerHungUp,
    /// <summary>WebSockets:CloseTimeout passed without either.</summary>
    TimedOut,
    /// <summary>The close answered a protocol error (or the peer's own close frame was invalid): the server ended TCP at once.</summary>
    ProtocolError,
}
