using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace PushCompare.Web.LongPolling;

/// <summary>Section "LongPolling" in appsettings.json. Every limit is documented in docs/protocol.md.</summary>
public sealed class LongPollingOptions
{
    public const string Section = "LongPolling";

    /// <summary>How long <c>GET /poll/{id}</c> is held when nothing is waiting before it answers 204.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan PollTimeout { get; set; } = TimeSpan.FromSeconds(25);

    /// <summary>A session with no poll held and none started for this long is expired and its memory freed.</summary>
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

    /// <summary>Open sessions the server keeps at once; the next <c>POST /poll</c> gets 503.</summary>
    [Range(1, 10_000_000)]
    public int MaxSessions { get; set; } = 10_000;
}

[OptionsValidator]
public sealed partial class LongPollingOptionsValidator : IValidateOptions<LongPollingOptions>;
