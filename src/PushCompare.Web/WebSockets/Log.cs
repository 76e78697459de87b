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
}
