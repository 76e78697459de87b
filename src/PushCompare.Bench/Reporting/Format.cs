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

    /// <summary>About three significant digits, for Mbit/s figures that range from 0.0001 to 665.</summary>
    public static string Sig3(double value)
    {
        double a = Math.Abs(value);
        return value == 0 ? "0"
            : a >= 100 ? value.ToString("N0", C)
            : a >= 10 ? value.ToString("0.0", C)
            : a >= 1 ? value.ToString("0.00", C)
            : a >= 0.0001 ? value.ToString("0.####", C)
            : value.ToString("0.##E+0", C);
    }

    public static string Any(FormattableString text) => text.ToString(C);
}
