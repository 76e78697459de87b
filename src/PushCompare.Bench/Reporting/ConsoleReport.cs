using Spectre.Console;

namespace PushCompare.Bench.Reporting;

/// <summary>The summary tables on the terminal, after the last run.</summary>
internal static class ConsoleReport
{
    public static void Render(IAnsiConsole console, IReadOnlyList<ReportTable> tables)
    {
        foreach (var t in tables)
        {
            var table = new Table().Border(TableBorder.Rounded).Title($"[bold]{Markup.Escape(t.Title)}[/]");
            foreach (var c in t.Columns) table.AddColumn(new TableColumn(Markup.Escape(c)));
            foreach (var row in t.Rows)
            {
                table.AddRow(row.Select(cell => cell.StartsWith("FAILED", StringComparison.Ordinal)
                    ? $"[red]{Markup.Escape(cell)}[/]"
                    : Markup.Escape(cell)).ToArray());
            }
            console.Write(table);
            foreach (var note in t.Notes) console.MarkupLine($"[grey]{Markup.Escape(note)}[/]");
            console.WriteLine();
        }
    }
}
