using Microsoft.Extensions.Options;

namespace PushCompare.Gateway;

/// <summary>Section "Gateway": where the instances are and how the gateway watches them.</summary>
public sealed class GatewayOptions
{
    public const string Section = "Gateway";

    /// <summary>Base URLs of the instances (http://host:port), e.g. <c>--Gateway:Destinations:0=http://127.0.0.1:5001</c>.</summary>
    public string[] Destinations { get; set; } = [];

    /// <summary>How often each instance's <c>/readyz</c> is asked; an instance's Health:DrainGrace must exceed this times <see cref="FailuresBeforeRemoval"/>.</summary>
    public TimeSpan HealthCheckInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A <c>/readyz</c> not answered within this counts as a failure.</summary>
    public TimeSpan HealthCheckTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Failed checks in a row that take an instance out of rotation (one passing check brings it back): 2, so one slow
    /// answer on a busy machine does not.
    /// </summary>
    public int FailuresBeforeRemoval { get; set; } = 2;

    /// <summary>
    /// How long a proxied request or upgraded connection may see no bytes before the gateway gives up on it: above the
    /// instances' LongPolling:PollTimeout (a held poll is silent that long) and their SSE and WebSocket keep-alive intervals.
    /// </summary>
    public TimeSpan ActivityTimeout { get; set; } = TimeSpan.FromSeconds(100);
}

/// <summary>Fails start-up with a sentence per bad setting.</summary>
public sealed class GatewayOptionsValidator : IValidateOptions<GatewayOptions>
{
    public ValidateOptionsResult Validate(string? name, GatewayOptions options)
    {
        var failures = new List<string>();
        if (options.Destinations.Length == 0)
            failures.Add("Gateway:Destinations is empty: name at least one instance, e.g. --Gateway:Destinations:0=http://127.0.0.1:5001.");
        foreach (var destination in options.Destinations)
        {
            if (!Uri.TryCreate(destination, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                failures.Add($"Gateway:Destinations has '{destination}', which is not an absolute http:// or https:// URL.");
        }
        if (options.Destinations.Distinct(StringComparer.OrdinalIgnoreCase).Count() != options.Destinations.Length)
            failures.Add("Gateway:Destinations names an instance twice: round-robin would send it twice its share.");
        if (options.HealthCheckInterval < TimeSpan.FromMilliseconds(100) || options.HealthCheckInterval > TimeSpan.FromMinutes(1))
            failures.Add($"Gateway:HealthCheckInterval is {options.HealthCheckInterval}: use 100 ms to 1 min.");
        if (options.HealthCheckTimeout <= TimeSpan.Zero || options.HealthCheckTimeout > TimeSpan.FromSeconds(30))
            failures.Add($"Gateway:HealthCheckTimeout is {options.HealthCheckTimeout}: use more than 0 and at most 30 s.");
        if (options.FailuresBeforeRemoval is < 1 or > 10)
            failures.Add($"Gateway:FailuresBeforeRemoval is {options.FailuresBeforeRemoval}: use 1 to 10.");
        if (options.ActivityTimeout < TimeSpan.FromSeconds(30) || options.ActivityTimeout > TimeSpan.FromHours(1))
            failures.Add($"Gateway:ActivityTimeout is {options.ActivityTimeout}: use 30 s to 1 h, above the instances' LongPolling:PollTimeout.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
