using PushCompare.Bench.Cli;
using PushCompare.Bench.Metrics;
using PushCompare.Bench.Reporting;
using PushCompare.Bench.Running;
using Spectre.Console;

namespace PushCompare.BenchTests;

/// <summary>The summary tables on a terminal: no line wider than the terminal, no figure split over two lines.</summary>
public sealed class TerminalTablesTests
{
    [Theory]
    [InlineData(80)]
    [InlineData(120)]
    public void Every_table_fits_the_terminal_and_keeps_every_figure_on_one_line(int width)
    {
        var settings = new BenchSettings
        {
            Scenario = "lubbers", Clients = [1000, 10000], DurationSeconds = 10, WarmupSeconds = 3, Rounds = 2, ChromiumHeaders = true,
            Stacks = [.. WireStack.All],
        };
        var tables = SummaryBuilder.Tables(settings, WideInvocation());
        var output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Ansi = AnsiSupport.No, Interactive = InteractionSupport.No });
        console.Profile.Width = width;

        ConsoleReport.Render(console, tables);

        var lines = output.ToString().Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        Assert.All(lines, line => Assert.True(line.Length <= width, $"{line.Length} columns: {line}"));
        var words = lines.SelectMany(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToHashSet();
        foreach (var table in tables.Select(t => t.ForTerminal()))
        {
            foreach (var row in table.Rows)
            {
                foreach (string cell in row.Where(c => c.Length > 0 && c.All(ch => char.IsDigit(ch) || ch is ',' or '.' or '%' or '×')))
                {
                    Assert.Contains(cell, words); // whole, never "11," on one line and "667" on the next
                }
            }
        }
        Assert.Contains(lines, l => l.StartsWith("Runs (request headers:", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("More columns (", StringComparison.Ordinal)); // the rest is in the --out report
    }

    [Fact]
    public void A_table_wider_than_the_terminal_goes_on_in_sections_that_repeat_which_run_a_row_is()
    {
        string[] columns = ["transport", "protocol", .. Enumerable.Range(1, 14).Select(i => $"figure number {i}")];
        var table = new ReportTable("Wide", columns, [["websocket", "h2+tls", .. Enumerable.Range(1, 14).Select(i => $"{i * 1_111_111:N0}")]], []);

        var lines = TextTable.Lines(table, 80);

        Assert.All(lines, l => Assert.True(l.Length <= 80, l));
        Assert.Contains("Wide (continued)", lines);
        Assert.True(lines.Count(l => l.StartsWith("websocket", StringComparison.Ordinal)) > 1);
        for (int i = 1; i <= 14; i++) Assert.Contains(lines, l => l.Contains($" {i * 1_111_111:N0}", StringComparison.Ordinal) || l.EndsWith($"{i * 1_111_111:N0}", StringComparison.Ordinal));
    }

    /// <summary>The widest runs table an invocation makes: rounds, two targets, both header sets, every protocol and transport, long figures.</summary>
    private static List<RunResult> WideInvocation()
    {
        var runs = new List<RunResult>();
        foreach (int round in new[] { 1, 2 })
        foreach (string target in new[] { "pushcompare", "cluster-3" })
        foreach (string transport in new[] { "websocket", "longpoll", "shortpoll", "sse" })
        foreach (var stack in WireStack.All)
        foreach (string headers in new[] { "minimal", "chromium" })
        {
            var run = new RunResult
            {
                Scenario = "lubbers", Mode = "Push", Target = target, TargetKind = target == "pushcompare" ? "app" : "cluster", Transport = transport,
                Headers = headers, Protocol = stack.Id, Round = round, Clients = 10000, IntervalMs = 1000, PollIntervalMs = 1000,
                ClientsConnected = 10000, WindowSeconds = 10, MessagesPerSecond = 11_667.4, BytesPerMessageUp = 1234.56, BytesPerMessageDown = 2.59,
                WireBytesPerMessageUp = 1299.5, WireBytesPerMessageDown = 88.25, RequestsPerMessage = 1.01, HttpOverheadPerMessage = 1_302.5,
                Latency = new LatencySummary(116_674, 2.5, 2.59, 11.5, 1_064.2, 2_000, 12_345.6),
                Server = new ServerStats(1, 12.5, 125.3, 1_071.3, 100_000_000, 200_000_000, null, null),
                ClientCpuPercent = 88.8, ClientAllocatedBytesPerMessage = 4_127.2,
            };
            if (transport == "sse" && round == 2) run.Problems.Add("1,234 SSE stream bytes are neither chunk framing nor part of an event");
            runs.Add(run);
        }
        return runs;
    }
}
