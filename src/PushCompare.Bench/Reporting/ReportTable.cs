namespace PushCompare.Bench.Reporting;

/// <summary>A table of the summary: every column in markdown and JSON, the <see cref="Brief"/> ones on the terminal.</summary>
public sealed record ReportTable(string Title, IReadOnlyList<string> Columns, IReadOnlyList<IReadOnlyList<string>> Rows, IReadOnlyList<string> Notes)
{
    /// <summary>The columns a person decides on, which the terminal shows; null for all of them.</summary>
    public IReadOnlyList<string>? Brief { get; init; }

    /// <summary>The table as the terminal shows it: only the <see cref="Brief"/> columns, with a note naming the others.</summary>
    public ReportTable ForTerminal()
    {
        if (Brief is not { } brief) return this;
        var keep = Enumerable.Range(0, Columns.Count).Where(i => brief.Contains(Columns[i])).ToList();
        var left = Columns.Where(c => !brief.Contains(c)).ToList();
        if (left.Count == 0) return this;
        return new ReportTable(Title, [.. keep.Select(i => Columns[i])], [.. Rows.Select(r => (IReadOnlyList<string>)[.. keep.Select(i => i < r.Count ? r[i] : "")])],
            [.. Notes, $"More columns ({string.Join(", ", left)}) are in the report written with --out DIR (markdown and JSON)."]);
    }
}

/// <summary>One bar of the SVG chart.</summary>
public sealed record ChartBar(string Label, double Value, string Series);

/// <summary>The chart of a report: one metric, one bar per run (or per row of a derived table).</summary>
public sealed record ChartSpec(string Title, string Unit, bool LogScale, IReadOnlyList<ChartBar> Bars);
