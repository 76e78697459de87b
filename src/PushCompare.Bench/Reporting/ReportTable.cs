namespace PushCompare.Bench.Reporting;

/// <summary>A table of the summary, rendered the same way to the terminal and to markdown.</summary>
public sealed record ReportTable(string Title, IReadOnlyList<string> Columns, IReadOnlyList<IReadOnlyList<string>> Rows, IReadOnlyList<string> Notes);

/// <summary>One bar of the SVG chart.</summary>
public sealed record ChartBar(string Label, double Value, string Series);

/// <summary>The chart of a report: one metric, one bar per run (or per row of a derived table).</summary>
public sealed record ChartSpec(string Title, string Unit, bool LogScale, IReadOnlyList<ChartBar> Bars);
