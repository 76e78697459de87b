using PushCompare.Bench.Cli;
using PushCompare.Bench.Reporting;
using PushCompare.Bench.Targets;
using Spectre.Console;

namespace PushCompare.Bench.Running;

/// <summary>
/// Plans the runs of one invocation (client counts × transports × header profiles × rates × targets × rounds,
/// targets alternating from round to round), runs them one after another, then prints and writes the report.
/// </summary>
internal sealed class BenchRunner(BenchSettings settings, IAnsiConsole console, string command)
{
    public async Task<int> RunAsync(CancellationToken cancel)
    {
        var started = DateTimeOffset.UtcNow;
        var targets = Targets(settings);
        IProgressSink progress = !settings.Progress ? new NoProgress()
            : console.Profile.Capabilities.Interactive ? new LiveProgress(console)
            : new LineProgress(console.Profile.Out.Writer);
        var driver = new RunDriver(settings, progress);
        var results = new List<RunResult>();
        var mode = settings.Scenario switch
        {
            "echo" => settings.Rates.Count > 0 ? RunMode.OpenLoopEcho : RunMode.ClosedLoopEcho,
            "idle" => RunMode.Idle,
            _ => RunMode.Push,
        };

        console.MarkupLine($"[bold]PushCompare bench[/]: {Markup.Escape(settings.Scenario)} against {Markup.Escape(string.Join(", ", targets.Select(t => t.Name)))}");
        for (int round = 1; round <= settings.Rounds && !cancel.IsCancellationRequested; round++)
        {
            // Alternate the order so neither target always runs first (warmer machine, fuller page cache).
            var order = round % 2 == 1 ? targets : [.. Enumerable.Reverse(targets)];
            foreach (int clients in settings.Clients)
            foreach (var transport in settings.Transports)
            foreach (var headers in settings.HeaderProfiles)
            {
                var notHeld = new HashSet<string>();
                foreach (double? rate in mode == RunMode.OpenLoopEcho ? settings.Rates.Select(r => (double?)r) : [null])
                foreach (var target in order)
                {
                    if (cancel.IsCancellationRequested) break;
                    var spec = new RunSpec(settings.Scenario, mode, transport, headers, clients, rate, round);
                    RunResult result;
                    if (notHeld.Contains(target.Name))
                    {
                        result = driver.Skip(spec, target, "a lower offered rate was not held");
                    }
                    else
                    {
                        result = await driver.RunAsync(spec, target, cancel);
                        if (result.Held == false && settings.StopAfterFailedStep) notHeld.Add(target.Name);
                    }
                    results.Add(result);
                    PrintLine(spec, target, result);
                }
            }
        }

        var tables = SummaryBuilder.Tables(settings, results);
        console.WriteLine();
        ConsoleReport.Render(console, tables);
        bool ok = results.Count > 0 && results.All(r => r.Ok) && !cancel.IsCancellationRequested;
        if (settings.OutDir is { } dir)
        {
            var report = new BenchReport("PushCompare.Bench", started, command, MachineInfo.Current(), settings, results, tables, ok);
            foreach (var file in ReportWriter.Write(dir, report, SummaryBuilder.Chart(settings, results))) console.MarkupLine($"wrote [blue]{Markup.Escape(file)}[/]");
        }
        int failed = results.Count(r => !r.Ok);
        if (failed > 0) console.MarkupLine($"[red]{failed} of {results.Count} runs failed[/]: see the problems above (exit code 1).");
        else if (cancel.IsCancellationRequested) console.MarkupLine("[yellow]Interrupted.[/]");
        return ok ? 0 : 1;
    }

    private void PrintLine(RunSpec spec, Target target, RunResult r)
    {
        string what = Markup.Escape($"{spec.Title} → {target.Name}");
        if (r.Skipped is { } reason)
        {
            console.MarkupLine($"[grey]- {what}: skipped ({Markup.Escape(reason)})[/]");
            return;
        }
        string figures = Markup.Escape(Format.Any($"{r.MessagesPerSecond:N0} msgs/s, p99 {Format.Ms(r.Latency?.P99Ms)} ms, {r.Totals.Received:N0} received, {r.Totals.Lost} lost"));
        if (r.Ok)
        {
            string held = r.Held is { } h ? (h ? " [green]held[/]" : " [yellow]not held[/]") : "";
            console.MarkupLine($"[green]✓[/] {what}: {figures}{held}");
            return;
        }
        console.MarkupLine($"[red]✗ {what}[/]: {figures}");
        foreach (var problem in r.Problems) console.MarkupLine($"    [red]{Markup.Escape(problem)}[/]");
        foreach (var sample in r.ErrorSamples.Take(5)) console.MarkupLine($"    [grey]{Markup.Escape(sample)}[/]");
    }

    internal const string UnlimitedConnects = "Security:ConnectBurst=1000000";

    /// <summary>The servers to measure; a variant's settings and environment come after the global ones, so they win.</summary>
    internal static List<Target> Targets(BenchSettings settings)
    {
        var targets = new List<Target>();
        string dll = settings.ServerDll ?? BuildInfo.WebDll;
        // Every bench client comes from one machine, i.e. one "client address" to the app's per-address connect
        // rate limit (Security:ConnectBurst, 120 by default): lift it first; --server-arg can still set it.
        string[] appArgs = [UnlimitedConnects, .. settings.ServerArgs];
        if (settings.Url is { } url) targets.Add(new UrlTarget("url", url, settings.ServerPid));
        else if (settings.Variants.Count > 0)
        {
            targets.AddRange(settings.Variants.Select(v =>
                new AppTarget(v.Name, dll, [.. appArgs, .. v.ServerArgs], [.. settings.ServerEnv, .. v.ServerEnv])));
        }
        else targets.Add(new AppTarget("pushcompare", dll, appArgs, settings.ServerEnv));
        if (settings.NodePeer) targets.Add(new NodePeerTarget(BuildInfo.NodePeerDirectory));
        return targets;
    }
}
