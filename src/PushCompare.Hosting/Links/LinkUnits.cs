using System.Globalization;
using System.Text.RegularExpressions;

namespace PushCompare.Hosting.Links;

/// <summary>Durations, bandwidths and loss rates as people write them on a command line or in a settings file.</summary>
public static partial class LinkUnits
{
    /// <summary>"120ms", "0.6s", "600 ms", "1.5s"; a bare number is milliseconds.</summary>
    public static TimeSpan ParseDuration(string text, string what = "duration") =>
        TryParseDuration(text, out var value)
            ? value
            : throw new ArgumentException(
                $"The {what} '{text}' is not a duration: write a number of milliseconds or seconds, e.g. 120ms or 0.6s.", what);

    public static bool TryParseDuration(string? text, out TimeSpan value)
    {
        value = default;
        if (text is null || Number().Match(text) is not { Success: true } m) return false;
        var number = double.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture);
        double? ms = m.Groups["u"].Value.ToLowerInvariant() switch
        {
            "" or "ms" => number,
            "s" => number * 1000,
            "us" or "µs" => number / 1000,
            _ => null,
        };
        if (ms is null || !double.IsFinite(ms.Value) || Math.Abs(ms.Value) > TimeSpan.MaxValue.TotalMilliseconds) return false;
        value = TimeSpan.FromMilliseconds(ms.Value);
        return true;
    }

    /// <summary>"5mbit", "1.6 Mbit/s", "50mbps", "800kbit", "1gbit", "none" (no cap); a bare number is bits per second.</summary>
    public static long? ParseBandwidth(string text) =>
        TryParseBandwidth(text, out var value)
            ? value
            : throw new ArgumentException(
                $"The bandwidth '{text}' is not a bandwidth: write bits per second with a unit, e.g. 5mbit, 800kbit or 1gbit (or 'none').",
                "bandwidth");

    public static bool TryParseBandwidth(string? text, out long? bitsPerSecond)
    {
        bitsPerSecond = null;
        if (text is null) return false;
        if (text.Trim().Equals("none", StringComparison.OrdinalIgnoreCase)) return true;
        if (Number().Match(text) is not { Success: true } m) return false;
        var number = double.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture);
        double? factor = m.Groups["u"].Value.ToLowerInvariant().Replace("/s", "").Replace("ps", "it") switch
        {
            "" or "bit" => 1,
            "kbit" or "k" => 1e3,
            "mbit" or "m" => 1e6,
            "gbit" or "g" => 1e9,
            _ => null,
        };
        if (factor is null) return false;
        var bps = number * factor.Value;
        if (!double.IsFinite(bps) || bps > long.MaxValue || bps < long.MinValue) return false;
        bitsPerSecond = (long)Math.Round(bps);
        return true;
    }

    /// <summary>"1%", "0.1 %", or a fraction "0.01".</summary>
    public static double ParseLoss(string text) =>
        TryParseLoss(text, out var value)
            ? value
            : throw new ArgumentException($"The loss '{text}' is not a rate: write a percentage, e.g. 1% or 0.1%.", "loss");

    public static bool TryParseLoss(string? text, out double loss)
    {
        loss = 0;
        if (text is null || Number().Match(text) is not { Success: true } m) return false;
        var number = double.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture);
        switch (m.Groups["u"].Value)
        {
            case "%": loss = number / 100; return true;
            case "": loss = number; return true;
            default: return false;
        }
    }

    public static string FormatDuration(TimeSpan value) =>
        value.TotalMilliseconds.ToString(value.TotalMilliseconds % 1 == 0 ? "0" : "0.###", CultureInfo.InvariantCulture) + " ms";

    public static string FormatBandwidth(long bitsPerSecond) => bitsPerSecond switch
    {
        >= 1_000_000_000 => $"{(bitsPerSecond / 1e9).ToString("0.###", CultureInfo.InvariantCulture)} Gbit/s",
        >= 1_000_000 => $"{(bitsPerSecond / 1e6).ToString("0.###", CultureInfo.InvariantCulture)} Mbit/s",
        >= 1_000 => $"{(bitsPerSecond / 1e3).ToString("0.###", CultureInfo.InvariantCulture)} kbit/s",
        _ => $"{bitsPerSecond} bit/s",
    };

    public static string FormatLoss(double loss) => (loss * 100).ToString("0.###", CultureInfo.InvariantCulture) + " %";

    [GeneratedRegex(@"^\s*(?<n>[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?)\s*(?<u>[a-zA-Zµ/%]*)\s*$")]
    private static partial Regex Number();
}
