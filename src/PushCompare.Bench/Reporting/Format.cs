using System.Globalization;

namespace PushCompare.Bench.Reporting;

/// <summary>Number formatting shared by the terminal, markdown and SVG output (invariant culture, fixed rules).</summary>
internal static class Format
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public static string Int(double value) => value.ToString("N0", C);

    public static string Ms(double? value) => value is { } v ? v.ToString(v < 10 ? "0.00" : v < 100 ? "0.0" : "N0", C) : "-";

    public static string Bytes(double? value) => value is { } v ? v.ToString(v < 100 ? "0.##" : "N0", C) : "-";

    public static string Ratio(double? value) => value is { } v ? v.ToString("0.00", C) + "×" : "-";

    public static string Percent(double? value) => value is { } v ? v.ToString("0.0", C) + "%" : "-";

    public static string Mb(long? bytes) => bytes is { } b ? (b / 1048576.0).ToString("0.0", C) : "-";

    /// <summary>Three significant digits, for Mbit/s figures that range from 0.015 to 665.</summary>
    public static string Sig3(double value) => value == 0 ? "0" : value.ToString(Math.Abs(value) >= 100 ? "N0" : Math.Abs(value) >= 10 ? "0.0" : Math.Abs(value) >= 1 ? "0.00" : "0.###", C);

    public static string Any(FormattableString text) => text.ToString(C);
}
