using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace PushCompare.Web.Polling;

/// <summary>Section "LongPolling" in appsettings.json; the limits it shares with SSE are in "Sessions".</summary>
public sealed class LongPollingOptions
{
    public const string Section = "LongPolling";

    /// <summary>How long <c>GET /poll/{id}</c> is held when nothing is waiting before it answers 204.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan PollTimeout { get; set; } = TimeSpan.FromSeconds(25);
}

[OptionsValidator]
public sealed partial class LongPollingOptionsValidator : IValidateOptions<LongPollingOptions>;
