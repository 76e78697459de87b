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
    /// After a close the server chose (1009, 1001), how long the peer has to answer with its close frame. Until then the
    /// server reads and drops what arrives; then it ends the TCP connection itself. After a protocol error (the
    /// framework's 1002/1007) the server does not wait: it ends the connection at once.
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

    /// <summary>permessage-deflate (RFC 7692), section "WebSockets:Compression"; off unless enabled (docs/protocol.md says why).</summary>
    [ValidateObjectMembers]
    public WebSocketCompressionOptions Compression { get; set; } = new();

    /// <summary>How the framework accepts a socket with these settings: keep-alive, and permessage-deflate only when the client offered it.</summary>
    internal WebSocketAcceptContext AcceptContext() => new()
    {
        KeepAliveInterval = KeepAliveInterval,
        KeepAliveTimeout = KeepAliveTimeout,
        DangerousEnableCompression = Compression.Enabled,
        ServerMaxWindowBits = Compression.ServerMaxWindowBits,
        DisableServerContextTakeover = Compression.DisableServerContextTakeover,
    };
}

/// <summary>
/// Section "WebSockets:Compression": whether the server accepts a client's permessage-deflate offer, and the two
/// parameters the framework lets the server choose (the client's own parameters are taken from its offer).
/// </summary>
public sealed class WebSocketCompressionOptions
{
    /// <summary>
    /// Accept permessage-deflate when the client offers it. Off by default: one deflate context holding secrets beside
    /// text an attacker chose leaks the secrets through the compressed sizes (CRIME/BREACH), and this echo reflects
    /// whatever a client sends.
    /// </summary>
    public bool Enabled { get; set; }

    /// <summary>The server's LZ77 window, 2^N bytes (RFC 7692 §7.1.2.1 allows 8–15; the framework's deflate 9–15).</summary>
    [Range(9, 15)]
    public int ServerMaxWindowBits { get; set; } = 15;

    /// <summary>
    /// Reset the server's deflate context after every message (<c>server_no_context_takeover</c>, §7.1.1.1): costs
    /// ratio on repeated text, and keeps one message's content from shaping the size of the next.
    /// </summary>
    public bool DisableServerContextTakeover { get; set; }
}

[OptionsValidator]
public sealed partial class WebSocketEchoOptionsValidator : IValidateOptions<WebSocketEchoOptions>;
