using System.Text;

namespace PushCompare.Bench.Reporting;

/// <summary>The report as GitHub-flavoured markdown: the command, the machine, then every table with its notes.</summary>
internal static class MarkdownReport
{
    public static string Render(string title, string command, string machine, IReadOnlyList<ReportTable> tables, string? chartFile)
    {
        var md = new StringBuilder();
        md.AppendLine($"# {title}").AppendLine();
        md.AppendLine($"Command: `{command}`  ").AppendLine($"Machine: {machine}").AppendLine();
        if (chartFile is not null) md.AppendLine($"![chart]({chartFile})").AppendLine();
        foreach (var table in tables)
        {
            md.AppendLine($"## {table.Title}").AppendLine();
            md.AppendLine("| " + string.Join(" | ", table.Columns.Select(Cell)) + " |");
            md.AppendLine("|" + string.Concat(table.Columns.Select(_ => "---|")));
            foreach (var row in table.Rows) md.AppendLine("| " + string.Join(" | ", row.Select(Cell)) + " |");
            md.AppendLine();
            foreach (var note in table.Notes) md.AppendLine($"- {note}");
            if (table.Notes.Count > 0) md.AppendLine();
        }
        return md.ToString();
    }

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
}
