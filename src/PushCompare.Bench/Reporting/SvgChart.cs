using System.Globalization;
using System.Security;
using System.Text;

namespace PushCompare.Bench.Reporting;

/// <summary>
/// A horizontal bar chart as a standalone SVG file: one bar per item, coloured by series, linear or log scale.
/// Plain SVG so the report renders on GitHub and in any browser without a plotting library.
/// </summary>
internal static class SvgChart
{
    private const int LabelWidth = 360, PlotWidth = 460, RowHeight = 22, Top = 48, Right = 90;
    private static readonly string[] Palette = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7"];

    public static string Render(ChartSpec chart)
    {
        var inv = CultureInfo.InvariantCulture;
        var bars = chart.Bars.Where(b => double.IsFinite(b.Value) && b.Value >= 0).ToList();
        var series = bars.Select(b => b.Series).Distinct().ToList();
        int legendHeight = 20 * series.Count;
        int height = Top + Math.Max(1, bars.Count) * RowHeight + 30 + legendHeight;
        int width = LabelWidth + PlotWidth + Right;

        bool log = chart.LogScale && bars.Any(b => b.Value > 0);
        double max = bars.Count > 0 ? bars.Max(b => b.Value) : 1;
        double min = log ? bars.Where(b => b.Value > 0).Min(b => b.Value) : 0;
        double lo = log ? Math.Floor(Math.Log10(min)) : 0;
        double hi = log ? Math.Max(lo + 1, Math.Ceiling(Math.Log10(max))) : (max > 0 ? max : 1);
        double X(double v) => log ? (v <= 0 ? 0 : (Math.Log10(v) - lo) / (hi - lo) * PlotWidth) : v / hi * PlotWidth;

        var svg = new StringBuilder();
        svg.Append(inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        svg.Append(inv, $"<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>\n");
        svg.Append(inv, $"<text x=\"10\" y=\"22\" font-size=\"15\" font-weight=\"bold\">{Esc(chart.Title)}</text>\n");
        svg.Append(inv, $"<text x=\"10\" y=\"40\" fill=\"#555\">{Esc(chart.Unit)}{(log ? ", log scale" : "")}</text>\n");

        // Grid lines: powers of ten on a log scale, quarters on a linear one.
        var ticks = log ? Enumerable.Range((int)lo, (int)(hi - lo) + 1).Select(e => Math.Pow(10, e)) : Enumerable.Range(0, 5).Select(i => hi * i / 4);
        int plotBottom = Top + bars.Count * RowHeight;
        foreach (var t in ticks)
        {
            double x = LabelWidth + X(t);
            svg.Append(inv, $"<line x1=\"{x:0.#}\" y1=\"{Top - 4}\" x2=\"{x:0.#}\" y2=\"{plotBottom}\" stroke=\"#ddd\"/>\n");
            svg.Append(inv, $"<text x=\"{x:0.#}\" y=\"{plotBottom + 14}\" text-anchor=\"middle\" fill=\"#555\">{Esc(Format.Sig3(t))}</text>\n");
        }
        for (int i = 0; i < bars.Count; i++)
        {
            var bar = bars[i];
            int y = Top + i * RowHeight;
            string color = Palette[series.IndexOf(bar.Series) % Palette.Length];
            double w = Math.Max(1, X(bar.Value));
            svg.Append(inv, $"<text x=\"{LabelWidth - 8}\" y=\"{y + 15}\" text-anchor=\"end\">{Esc(bar.Label)}</text>\n");
            svg.Append(inv, $"<rect x=\"{LabelWidth}\" y=\"{y + 3}\" width=\"{w:0.#}\" height=\"{RowHeight - 6}\" fill=\"{color}\"/>\n");
            svg.Append(inv, $"<text x=\"{LabelWidth + w + 4:0.#}\" y=\"{y + 15}\">{Esc(Format.Sig3(bar.Value))}</text>\n");
        }
        for (int i = 0; i < series.Count; i++)
        {
            int y = plotBottom + 30 + i * 20;
            svg.Append(inv, $"<rect x=\"{LabelWidth}\" y=\"{y - 10}\" width=\"12\" height=\"12\" fill=\"{Palette[i % Palette.Length]}\"/>\n");
            svg.Append(inv, $"<text x=\"{LabelWidth + 18}\" y=\"{y}\">{Esc(series[i])}</text>\n");
        }
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private static string Esc(string text) => SecurityElement.Escape(text);
}
