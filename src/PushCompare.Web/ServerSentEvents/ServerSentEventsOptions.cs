using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace PushCompare.Web.ServerSentEvents;

/// <summary>Section "ServerSentEvents" in appsettings.json; the session limits it shares with polling are in "Sessions".</summary>
public sealed class ServerSentEventsOptions
{
    public const string Section = "ServerSentEvents";

    /// <summary>A stream with nothing to say for this long gets a heartbeat event, so proxies do not drop it as idle.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "01:00:00")]
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The reconnection delay every stream announces (<c>retry:</c>): how soon EventSource comes back after a cut.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00")]
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromSeconds(1);
}

[OptionsValidator]
public sealed partial class ServerSentEventsOptionsValidator : IValidateOptions<ServerSentEventsOptions>;
