using Spectre.Console;

namespace PushCompare.Bench.Reporting;

/// <summary>
/// The summary tables on the terminal, after the last run: each table's <see cref="ReportTable.Brief"/> columns (all of
/// them when it names none), laid out to the console's width by <see cref="TextTable"/>. The report written with
/// <c>--out</c> has every column.
/// </summary>
internal static class ConsoleReport
{
    public static void Render(IAnsiConsole console, IReadOnlyList<ReportTable> tables)
    {
        foreach (var t in tables)
        {
            foreach (string line in TextTable.Lines(t.ForTerminal(), console.Profile.Width))
            {
                console.WriteLine(line, line.Contains("FAILED", StringComparison.Ordinal) ? new Style(Color.Red) : Style.Plain);
            }
        }
    }
}
