using System.ComponentModel.DataAnnotations;
using System.Net;
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

    /// <summary>
    /// The load balancers or gateways (IP addresses, or CIDR networks like 10.0.0.0/8) whose <c>X-Forwarded-For</c> and
    /// <c>X-Forwarded-Proto</c> this instance believes: a request from one of them counts as the client it names (rate
    /// limits, origin check). Empty = no proxy is trusted and those headers are ignored, so a client is always its TCP peer.
    /// </summary>
    [NetworkList]
    public string[] TrustedProxies { get; set; } = [];

    /// <summary>How many X-Forwarded-For entries (from the right) may be taken, each only from a trusted peer: the proxies in a row in front of the instance.</summary>
    [Range(1, 10)]
    public int ForwardLimit { get; set; } = 1;
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

/// <summary>
/// Every entry is one IP address (<c>10.0.0.5</c>, <c>::1</c>) or one CIDR network with no host bits set
/// (<c>10.0.0.0/8</c>, <c>fd00::/8</c>). Not a network of every address (<c>0.0.0.0/0</c>, <c>::/0</c>): that would let
/// any client write its own address into X-Forwarded-For and so escape its rate limit.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class NetworkListAttribute : ValidationAttribute
{
    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext)
    {
        foreach (var entry in value as IEnumerable<string> ?? [])
        {
            if (Problem(entry, out _) is { } problem)
                return new ValidationResult(problem, validationContext.MemberName is { } member ? [member] : null);
        }
        return ValidationResult.Success;
    }

    /// <summary>True with the network an entry names (an address is the network of just itself: /32, /128).</summary>
    public static bool TryParse(string entry, out IPNetwork network) => Problem(entry, out network) is null;

    // Why an entry is refused, or null. IPv4 is written in full (four numbers): .NET would also read "10" as 0.0.0.10
    // and "127.1" as 127.0.0.1, which is never what a person listing proxies meant; and it quietly drops host bits.
    private static string? Problem(string entry, out IPNetwork network)
    {
        network = default;
        int slash = entry.IndexOf('/', StringComparison.Ordinal);
        string address = slash < 0 ? entry : entry[..slash];
        bool written = (address.Contains(':', StringComparison.Ordinal) || address.Count(c => c == '.') == 3)
            && !address.Contains('%', StringComparison.Ordinal); // an IPv6 scope (fe80::1%eth0) names an interface, not a proxy
        if (!written || !IPAddress.TryParse(address, out var ip)
            || (slash < 0 ? !TryWhole(ip, out network) : !IPNetwork.TryParse(entry, out network)))
            return $"'{entry}' is not an IP address or network: write an address (10.0.0.5, ::1) or a CIDR network (10.0.0.0/8).";
        if (!network.BaseAddress.Equals(ip))
            return $"'{entry}' has host bits set: write {network} for the network, or {ip} for the one address.";
        if (network.PrefixLength == 0)
            return $"'{entry}' trusts every address, so any client could claim another's: name the proxies' own addresses or subnet.";
        return null;
    }

    private static bool TryWhole(IPAddress ip, out IPNetwork network)
    {
        network = new IPNetwork(ip, ip.GetAddressBytes().Length * 8);
        return true;
    }
}
