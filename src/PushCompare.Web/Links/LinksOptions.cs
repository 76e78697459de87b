using System.Globalization;
using Microsoft.Extensions.Options;
using PushCompare.Hosting.Links;

namespace PushCompare.Web.Links;

/// <summary>
/// Section "Links": ports on which the app serves itself again through an emulated network link, one per named profile
/// (<c>Links:4g=5083</c> makes http://localhost:5083 the app over 4G). Empty, so off, by default.
/// </summary>
public sealed class LinksOptions
{
    public const string Section = "Links";

    /// <summary>Profile name → port, as written in the settings (validated by <see cref="LinksOptionsValidator"/>).</summary>
    public Dictionary<string, string?> Ports { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The links, once valid: profile and port.</summary>
    public IEnumerable<(LinkProfile Profile, int Port)> Links =>
        Ports.Select(p => (LinkProfile.GetNamed(p.Key), int.Parse(p.Value!, CultureInfo.InvariantCulture)));
}

/// <summary>Every entry names a profile that delays something and a port of its own, or start-up says which does not.</summary>
public sealed class LinksOptionsValidator : IValidateOptions<LinksOptions>
{
    public ValidateOptionsResult Validate(string? name, LinksOptions options)
    {
        var failures = new List<string>();
        var taken = new Dictionary<int, string>();
        foreach (var (profileName, value) in options.Ports)
        {
            var key = $"{LinksOptions.Section}:{profileName}";
            if (!LinkProfile.TryGetNamed(profileName, out var profile))
                failures.Add($"{key}: there is no link profile called '{profileName}'; the profiles are " +
                    $"{string.Join(", ", LinkProfile.Named.Where(p => !p.IsLoopback).Select(p => p.Name))}.");
            else if (profile.IsLoopback)
                failures.Add($"{key}: the loopback profile changes nothing; the app's own port already is that link.");
            if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
                failures.Add($"{key}: '{value}' is not a port: write a number from 1 to 65535.");
            else if (!taken.TryAdd(port, key))
                failures.Add($"{taken[port]} and {key} both name port {port}: each link needs a port of its own.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
