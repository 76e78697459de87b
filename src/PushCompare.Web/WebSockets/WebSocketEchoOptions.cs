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

    /// <summary>How long a close handshake may take before the connection is aborted.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan CloseTimeout { get; set; } = TimeSpan.FromSeconds(5);
}

[OptionsValidator]
public sealed partial class WebSocketEchoOptionsValidator : IValidateOptions<WebSocketEchoOptions>;
