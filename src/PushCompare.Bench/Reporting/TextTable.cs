using System.Text;

namespace PushCompare.Bench.Reporting;

/// <summary>
/// Lays a report table out in plain text for a terminal of a given width. A cell never breaks inside a word, so a
/// number is never split: cells and headers wrap at spaces only. When the columns do not fit side by side, the table
/// goes on in further sections of the same rows, each repeating the columns that name a row (transport, protocol…).
/// </summary>
internal static class TextTable
{
    private const string Gap = "  ";

    /// <summary>Leading columns that say which run a row is; repeated in every section.</summary>
    private static readonly HashSet<string> KeyNames = ["round", "target", "transport", "protocol", "headers", "clients", "offered/s", "variant"];

    public static List<string> Lines(ReportTable table, int width)
    {
        var lines = new List<string>();
        int keys = 0;
        while (keys < table.Columns.Count - 1 && KeyNames.Contains(table.Columns[keys])) keys++;
        if (Fits(table, Enumerable.Range(0, keys), width) is false) keys = Math.Min(1, keys);
        var rest = Enumerable.Range(keys, table.Columns.Count - keys).ToList();
        bool first = true;
        while (rest.Count > 0 || first)
        {
            var section = Enumerable.Range(0, keys).ToList();
            // Take columns while they fit at their natural width; a section always takes at least one.
            do
            {
                if (rest.Count == 0) break;
                section.Add(rest[0]);
                rest.RemoveAt(0);
            }
            while (rest.Count > 0 && Fits(table, [.. section, rest[0]], width));
            lines.AddRange(Wrap(first ? table.Title : table.Title + " (continued)", width));
            lines.AddRange(Section(table, section, width));
            lines.Add("");
            first = false;
        }
        foreach (var note in table.Notes) lines.AddRange(Wrap("- " + note, width, indent: "  "));
        if (table.Notes.Count > 0) lines.Add("");
        return lines;
    }

    private static bool Fits(ReportTable table, IEnumerable<int> columns, int width) =>
        columns.Sum(c => Natural(table, c) + Gap.Length) - Gap.Length <= width;

    /// <summary>A column's width with no cell wrapped (the header may wrap at spaces: its longest word).</summary>
    private static int Natural(ReportTable table, int column) =>
        Math.Max(LongestWord(table.Columns[column]), table.Rows.Select(r => Cell(r, column).Length).DefaultIfEmpty(0).Max());

    /// <summary>The narrowest a column can be: its longest word.</summary>
    private static int Narrowest(ReportTable table, int column) =>
        Math.Max(LongestWord(table.Columns[column]), table.Rows.Select(r => LongestWord(Cell(r, column))).DefaultIfEmpty(0).Max());

    private static IEnumerable<string> Section(ReportTable table, List<int> columns, int width)
    {
        var widths = columns.Select(c => Natural(table, c)).ToArray();
        // Too wide even so (a long text cell): narrow the widest text columns, never below their longest word.
        int excess = widths.Sum() + Gap.Length * (widths.Length - 1) - width;
        while (excess > 0)
        {
            int widest = -1;
            for (int i = 0; i < widths.Length; i++)
            {
                if (widths[i] > Narrowest(table, columns[i]) && (widest < 0 || widths[i] > widths[widest])) widest = i;
            }
            if (widest < 0) break;
            int cut = Math.Min(excess, widths[widest] - Narrowest(table, columns[widest]));
            widths[widest] -= cut;
            excess -= cut;
        }
        var numeric = columns.Select(c => table.Rows.All(r => IsNumber(Cell(r, c)))).ToArray();
        foreach (var line in Row(columns.Select(c => table.Columns[c]).ToArray(), widths, new bool[widths.Length])) yield return line;
        yield return string.Join(Gap, widths.Select(w => new string('─', w))).TrimEnd();
        foreach (var row in table.Rows)
        {
            foreach (var line in Row(columns.Select(c => Cell(row, c)).ToArray(), widths, numeric)) yield return line;
        }
    }

    /// <summary>One row: each cell wrapped to its column at spaces, side by side, numbers right-aligned.</summary>
    private static IEnumerable<string> Row(string[] cells, int[] widths, bool[] right)
    {
        var wrapped = cells.Select((c, i) => Wrap(c, widths[i])).ToArray();
        int height = wrapped.Max(w => w.Count);
        for (int line = 0; line < height; line++)
        {
            var text = new StringBuilder();
            for (int i = 0; i < cells.Length; i++)
            {
                if (i > 0) text.Append(Gap);
                string part = line < wrapped[i].Count ? wrapped[i][line] : "";
                text.Append(right[i] ? part.PadLeft(widths[i]) : part.PadRight(widths[i]));
            }
            yield return text.ToString().TrimEnd();
        }
    }

    /// <summary>Word wrap at spaces; a word longer than the width (never a number in these tables) is cut as a last resort.</summary>
    internal static List<string> Wrap(string text, int width, string indent = "")
    {
        var lines = new List<string>();
        var line = new StringBuilder();
        foreach (string word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            string w = word;
            int room = width - (lines.Count > 0 ? indent.Length : 0);
            if (line.Length > 0 && line.Length + 1 + w.Length > room)
            {
                lines.Add((lines.Count > 0 ? indent : "") + line);
                line.Clear();
                room = width - indent.Length;
            }
            while (w.Length > room && room > 0)
            {
                lines.Add((lines.Count > 0 ? indent : "") + w[..room]);
                w = w[room..];
                room = width - indent.Length;
            }
            if (line.Length > 0) line.Append(' ');
            line.Append(w);
        }
        if (line.Length > 0 || lines.Count == 0) lines.Add((lines.Count > 0 ? indent : "") + line);
        return lines;
    }

    private static string Cell(IReadOnlyList<string> row, int column) => column < row.Count ? row[column] : "";

    private static int LongestWord(string text) => text.Split(' ').Max(w => w.Length);

    /// <summary>A figure: digits with separators and a unit sign, or "-" for none.</summary>
    private static bool IsNumber(string cell) => cell == "-" || (cell.Length > 0 && cell.All(c => char.IsDigit(c) || c is ',' or '.' or '%' or '×' or '-' or '+' or '<' or '≥' or '≤'));
}
