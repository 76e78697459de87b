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
    /// The app's own origins (<see cref="AppOrigins"/>) are always allowed and need not be listed; a wildcard is refused.
    /// </summary>
    [OriginList]
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

/// <summary>
/// Every entry is one origin as browsers send it, <c>http(s)://host[:port]</c>: no wildcard (<c>*</c> would open
/// the transports and CORS to every site), no path, no trailing slash, not <c>null</c> (sandboxed frames, files).
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class OriginListAttribute : ValidationAttribute
{
    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext)
    {
        foreach (var entry in value as IEnumerable<string> ?? [])
        {
            if (!IsOrigin(entry))
                return new ValidationResult($"'{entry}' is not an origin: write scheme://host[:port] (http or https, no path, no wildcard).",
                    validationContext.MemberName is { } member ? [member] : null);
        }
        return ValidationResult.Success;
    }

    private static bool IsOrigin(string entry) =>
        !entry.Contains('*', StringComparison.Ordinal)
        && Uri.TryCreate(entry, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
        && string.Equals(entry, uri.GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase);
}
