using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace PushCompare.Web.WebSockets;

/// <summary>Section "WebSockets" in appsettings.json.</summary>
public sealed class WebSocketEchoOptions
{
    public const string Section = "WebSockets";

    /// <summary>How often the server sends a ping (RFC 6455 §5.5.2) to keep intermediaries from dropping an idle connection.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long the server waits for the pong before it drops the peer as dead.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// After the server's close frame (its own 1009/1001, or the framework's 1002/1007), how long the peer has to answer
    /// with its close frame. Until then the server reads and drops what arrives; then it ends the TCP connection itself.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan CloseTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long one send (an echo reply, a tick, a close frame) may wait for room in the connection's buffers. A send
    /// stuck that long means the peer stopped reading; the connection is aborted, since no close frame could reach it.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan SendTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Broadcasts (<c>?topic=</c>) a socket may have waiting to be sent; one more resets the connection, as its peer is
    /// not keeping up. The queue holds references to messages every subscriber shares, so it costs little per socket.
    /// </summary>
    [Range(1, 1_000_000)]
    public int MaxQueuedBroadcasts { get; set; } = 1000;
}

[OptionsValidator]
public sealed partial class WebSocketEchoOptionsValidator : IValidateOptions<WebSocketEchoOptions>;
