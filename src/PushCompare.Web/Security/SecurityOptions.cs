using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace PushCompare.Web.Security;

/// <summary>Section "Security" in appsettings.json.</summary>
public sealed class SecurityOptions
{
    public const string Section = "Security";

    /// <summary>
    /// Origins (scheme://host[:port]) allowed besides the app's own. Empty = same-origin only, which stops
    /// cross-site WebSocket hijacking: a page elsewhere cannot use a visitor's cookies to talk to /ws or /poll.
    /// </summary>
    public string[] AllowedOrigins { get; set; } = [];

    /// <summary>New WebSocket connections plus new polling sessions one client address may open in a burst.</summary>
    [Range(1, 1_000_000)]
    public int ConnectBurst { get; set; } = 120;

    /// <summary>How many of those the address earns back per second after the burst.</summary>
    [Range(1, 1_000_000)]
    public int ConnectsPerSecond { get; set; } = 2;
}

[OptionsValidator]
public sealed partial class SecurityOptionsValidator : IValidateOptions<SecurityOptions>;
