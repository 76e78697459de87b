using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace PushCompare.Metering;

/// <summary>Section "Metering" in configuration: exact wire byte and message counts per transport (docs/measuring.md).</summary>
public sealed class MeteringOptions
{
    public const string Section = "Metering";

    /// <summary>Counts bytes, frames and messages on every connection. Off: no connection wrapper and no middleware run at all.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Sessions whose own figures are kept for <c>GET /api/stats?session=</c>; transport totals are always complete.</summary>
    [Range(0, 1_000_000)]
    public int MaxTrackedSessions { get; set; } = 10_000;
}

[OptionsValidator]
public sealed partial class MeteringOptionsValidator : IValidateOptions<MeteringOptions>;
