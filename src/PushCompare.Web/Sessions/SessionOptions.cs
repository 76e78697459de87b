using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace PushCompare.Web.Sessions;

/// <summary>
/// Section "Sessions" in appsettings.json: the limits every session-based transport (long polling, short polling,
/// SSE) shares. Every limit is documented in docs/protocol.md.
/// </summary>
public sealed class MessageSessionOptions
{
    public const string Section = "Sessions";

    /// <summary>A session with no reader attached (no poll held, no stream open) and no request for this long is expired and its memory freed.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "01:00:00")]
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Unacknowledged messages a session may hold before it is closed (the client is not keeping up).</summary>
    [Range(1, 1_000_000)]
    public int MaxBacklogMessages { get; set; } = 1000;

    /// <summary>Unacknowledged UTF-8 bytes a session may hold before it is closed.</summary>
    [Range(1, 1L << 30)]
    public long MaxBacklogBytes { get; set; } = 1024 * 1024;

    /// <summary>On shutdown, how long clients get to collect and acknowledge queued messages before the sessions close anyway.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00")]
    public TimeSpan ShutdownDrainTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Open sessions the server keeps at once, of every transport together; the next open gets 503.</summary>
    [Range(1, 10_000_000)]
    public int MaxSessions { get; set; } = 10_000;
}

[OptionsValidator]
public sealed partial class MessageSessionOptionsValidator : IValidateOptions<MessageSessionOptions>;
