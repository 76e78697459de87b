using System.Text.RegularExpressions;
using PushCompare.Bench;

namespace PushCompare.BenchTests;

/// <summary>What a person reads while a run goes: each phase against its own length, and each run's window figures.</summary>
public sealed partial class ProgressLinesTests
{
    [Fact]
    public async Task Progress_shows_each_phase_against_its_own_length_and_run_lines_give_the_window()
    {
        string dir = Path.Combine(Path.GetTempPath(), "pushcompare-bench-tests", Guid.NewGuid().ToString("N"));
        var output = new StringWriter(); // not a terminal: a progress line per phase and every 5 s
        int exit = await BenchApp.RunAsync(["push", "-t", "websocket,shortpoll", "-c", "3", "-d", "2", "--warmup", "1", "--drain", "3",
            "--interval", "200", "--poll-interval", "200", "--out", dir], output);
        string text = output.ToString();
        Assert.True(exit == 0, text);
        var report = PushCompare.Bench.Reporting.ReportWriter.Read(Path.Combine(dir, "push.json"));

        var phases = PhaseLine().Matches(text).Select(m => (Phase: m.Groups[1].Value, Length: m.Groups[3].Value)).ToList();
        Assert.Contains(phases, p => p == ("warm-up", "1"));
        Assert.Contains(phases, p => p == ("measuring", "2"));
        Assert.Contains(phases, p => p == ("draining", "3")); // the drain's own limit, not warm-up + window
        foreach (var run in report.Runs)
        {
            // The figure the tables use: messages in the window (totals also hold the warm-up and the drain).
            Assert.Contains($"push {run.Transport} C=3 → pushcompare: ", text);
            Assert.Contains($"{run.Window.Received:N0} received in the window", text);
        }
    }

    [GeneratedRegex(@": (warm-up|measuring|draining) (\d+)/(\d+(?:\.\d)?) s,")]
    private static partial Regex PhaseLine();
}
