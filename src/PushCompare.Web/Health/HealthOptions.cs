using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace PushCompare.Web.Health;

/// <summary>Section "Health" in appsettings.json: readiness and the drain grace of a rolling restart.</summary>
public sealed class HealthOptions
{
    public const string Section = "Health";

    /// <summary>
    /// How long the instance keeps serving after SIGTERM while <c>/readyz</c> already answers 503, before it closes
    /// connections and drains sessions. Behind a load balancer set it above the balancer's health-check interval times
    /// its failure threshold, so the instance is out of rotation before anything closes; alone (0, the default) the
    /// instance drains at once.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00")]
    public TimeSpan DrainGrace { get; set; } = TimeSpan.Zero;
}

[OptionsValidator]
public sealed partial class HealthOptionsValidator : IValidateOptions<HealthOptions>;
