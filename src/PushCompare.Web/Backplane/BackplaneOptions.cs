using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace PushCompare.Web.Backplane;

/// <summary>
/// Section "Backplane" in appsettings.json: where instances share their polling and SSE sessions. Without
/// <see cref="Redis"/> every instance keeps its own sessions in memory (the default; <c>dotnet run</c> needs nothing).
/// </summary>
public sealed class BackplaneOptions
{
    public const string Section = "Backplane";

    /// <summary>A StackExchange.Redis configuration string, e.g. <c>localhost:6379</c>; empty = sessions in memory.</summary>
    public string? Redis { get; set; }

    /// <summary>Prefix of every Redis key and channel, so several deployments can share one Redis.</summary>
    [Required, RegularExpression("^[A-Za-z0-9:_.-]{1,64}$")]
    public string KeyPrefix { get; set; } = "pushcompare:";

    /// <summary>
    /// How often an instance adds its share of each session's figures into Redis unasked (<c>/api/stats?session=</c> asks
    /// every instance for its share at once, so this only bounds what an instance killed without warning takes with it).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")]
    public TimeSpan FiguresInterval { get; set; } = TimeSpan.FromSeconds(30);
}

[OptionsValidator]
public sealed partial class BackplaneOptionsValidator : IValidateOptions<BackplaneOptions>;
