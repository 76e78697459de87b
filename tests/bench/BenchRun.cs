using PushCompare.Bench;
using PushCompare.Bench.Reporting;
using PushCompare.Bench.Running;

namespace PushCompare.BenchTests;

/// <summary>Runs the bench in-process, exactly as the command line would, and reads back the JSON report it wrote.</summary>
internal sealed record BenchRun(int ExitCode, string Output, BenchReport? Report)
{
    public static async Task<BenchRun> StartAsync(params string[] args)
    {
        string dir = Path.Combine(Path.GetTempPath(), "pushcompare-bench-tests", Guid.NewGuid().ToString("N"));
        var output = new StringWriter();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5)); // a hang guard: a dozen runs at load 60 took over 3
        int exit = await BenchApp.RunAsync([.. args, "--no-progress", "--out", dir], output, timeout.Token);
        string scenario = args[0];
        string json = Path.Combine(dir, scenario + ".json");
        return new BenchRun(exit, output.ToString(), File.Exists(json) ? ReportWriter.Read(json) : null) { Directory = dir };
    }

    public string Directory { get; init; } = "";

    public IReadOnlyList<RunResult> Runs => Report?.Runs ?? [];

    public RunResult Single => Assert.Single(Runs);

    public RunResult Run(string transport, string target = "pushcompare", string headers = "minimal") =>
        Assert.Single(Runs, r => r.Transport == transport && r.Target == target && r.Headers == headers);

    /// <summary>Asserts a clean exit with the output in the failure message (the output lists every problem).</summary>
    public BenchRun Passed()
    {
        Assert.True(ExitCode == 0, $"bench exited {ExitCode}:{Environment.NewLine}{Output}");
        Assert.NotNull(Report);
        Assert.True(Report!.Ok);
        return this;
    }

    public ReportTable Table(string titleStart) => Assert.Single(Report!.Tables, t => t.Title.StartsWith(titleStart, StringComparison.Ordinal));
}
