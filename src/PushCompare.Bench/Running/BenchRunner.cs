using PushCompare.Bench.Cli;
using PushCompare.Bench.Reporting;
using PushCompare.Bench.Targets;
using PushCompare.Bench.Transports;
using Spectre.Console;

namespace PushCompare.Bench.Running;

/// <summary>
/// Plans the runs of one invocation (client counts × transports × header profiles × rates × targets × rounds,
/// targets alternating from round to round), runs them one after another, then prints and writes the report.
/// </summary>
internal sealed class BenchRunner(BenchSettings requested, IAnsiConsole console, string command)
{
    public async Task<int> RunAsync(CancellationToken cancel)
    {
        var started = DateTimeOffset.UtcNow;
        var targets = Targets(requested);
        try
        {
            return await RunAsync(targets, started, cancel);
        }
        finally
        {
            foreach (var target in targets) await target.DisposeAsync();
        }
    }

    private async Task<int> RunAsync(List<Target> targets, DateTimeOffset started, CancellationToken cancel)
    {
        BenchSettings settings;
        try
        {
            foreach (var target in targets) await target.DiscoverAsync(cancel);
            settings = ResolveTransports(requested, targets);
        }
        catch (Hosting.ProcessSetupException ex) // the bench's own, and a child process that did not start
        {
            console.MarkupLine($"[red]Error:[/] {Markup.Escape(ex.Message)}");
            return 1;
        }
        catch (TransportRefusedException ex)
        {
            console.MarkupLine($"[red]Error:[/] {Markup.Escape(ex.Message)}");
            return 2;
        }
        foreach (string unmeasured in settings.UnmeasuredTransports)
        {
            console.MarkupLine($"[yellow]Note:[/] {Markup.Escape(UnmeasuredNote(unmeasured))}");
        }
        IProgressSink progress = !settings.Progress ? new NoProgress()
            : console.Profile.Capabilities.Interactive ? new LiveProgress(console)
            : new LineProgress(console.Profile.Out.Writer);
        var driver = new RunDriver(settings, progress);
        var results = new List<RunResult>();
        var mode = settings.Scenario switch
        {
            "echo" => settings.Rates.Count > 0 ? RunMode.OpenLoopEcho : RunMode.ClosedLoopEcho,
            "idle" => RunMode.Idle,
            "first-message" => RunMode.FirstMessage,
            "switch" => RunMode.Switch,
            _ => RunMode.Push,
        };

        console.MarkupLine($"[bold]PushCompare bench[/]: {Markup.Escape(settings.Scenario)} against {Markup.Escape(string.Join(", ", targets.Select(t => t.Name)))}");
        for (int round = 1; round <= settings.Rounds && !cancel.IsCancellationRequested; round++)
        {
            if (mode == RunMode.Switch)
            {
                // One session moved between all the transports: a run per stack and target, a result per ordered pair.
                foreach (var stack in settings.Stacks)
                foreach (var target in round % 2 == 1 ? targets : [.. Enumerable.Reverse(targets)])
                {
                    if (cancel.IsCancellationRequested) break;
                    var pairs = await new SwitchRun(settings).RunAsync(target, stack, round, settings.Transports, cancel);
                    results.AddRange(pairs);
                    foreach (var r in pairs) PrintSwitchLine(target, r);
                }
                continue;
            }
            // Alternate the order so neither target always runs first (warmer machine, fuller page cache).
            var order = round % 2 == 1 ? targets : [.. Enumerable.Reverse(targets)];
            foreach (int clients in settings.Clients)
            foreach (var transport in settings.Transports)
            foreach (var stack in round % 2 == 1 ? settings.Stacks : [.. Enumerable.Reverse(settings.Stacks)])
            foreach (var headers in settings.HeaderProfiles)
            {
                var notHeld = new HashSet<string>();
                foreach (double? rate in mode == RunMode.OpenLoopEcho ? settings.Rates.Select(r => (double?)r) : [null])
                foreach (var target in order)
                {
                    if (cancel.IsCancellationRequested) break;
                    var spec = new RunSpec(settings.Scenario, mode, transport, headers, clients, rate, round,
                        settings.Broadcast && mode == RunMode.Push) { Stack = stack };
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
        // The window's figures, as the tables have them: totals also hold the warm-up and the drain, whose edges differ by
        // transport (a short-polling client stops between polls and never fetches what came after its last one).
        string figures = Markup.Escape(Format.Any($"{r.MessagesPerSecond:N0} msgs/s, p99 {Format.Ms(r.Latency?.P99Ms)} ms, {r.Window.Received:N0} received in the window, {r.Totals.Lost} lost"));
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

    private void PrintSwitchLine(Target target, RunResult r)
    {
        string what = Markup.Escape($"switch {r.Transport} {r.Protocol} → {target.Name}");
        string figures = Markup.Escape(Format.Any($"{r.Totals.Received} switches, p50 {Format.Ms(r.Latency?.P50Ms)} ms, max {Format.Ms(r.Latency?.MaxMs)} ms, {r.Totals.Lost} lost, {r.Totals.Duplicates} duplicated"));
        console.MarkupLine(r.Ok ? $"[green]✓[/] {what}: {figures}" : $"[red]✗ {what}[/]: {figures}");
        foreach (var problem in r.Problems) console.MarkupLine($"    [red]{Markup.Escape(problem)}[/]");
    }

    internal static string UnmeasuredNote(string transport) => $"the server offers {transport}, which the bench has no client for: not measured.";

    /// <summary>
    /// The transports to run: every requested id must be one each server lists at <c>GET /api/stats</c> and one the
    /// bench has a client for (<see cref="TransportCatalog"/>); "all" is every id all servers offer, and those the
    /// bench cannot drive are listed as not measured. Peers without a registry (the Node peer) skip what they lack.
    /// </summary>
    internal static BenchSettings ResolveTransports(BenchSettings settings, IReadOnlyList<Target> targets)
    {
        var servers = targets.Where(t => t.Offered is not null).ToList();
        if (servers.Count == 0)
        {
            throw new TransportRefusedException("no server here lists its transports (GET /api/stats), so --transport cannot be checked.");
        }
        var offered = servers[0].Offered!.Where(o => servers.All(s => s.Offered!.Any(x => x.Id == o.Id))).ToList();
        var run = new List<Transports.BenchTransport>();
        var unmeasured = new List<string>();
        if (settings.RequestedTransports is not { } ids)
        {
            foreach (var o in offered)
            {
                if (TransportCatalog.TryGet(o.Id, out var transport)) run.Add(transport);
                else unmeasured.Add($"'{o.Id}' ({o.Label})");
            }
            if (run.Count == 0) throw new TransportRefusedException($"the bench has no client for any transport the server offers ({List(offered)}).");
            return settings with { Transports = run, UnmeasuredTransports = unmeasured };
        }
        foreach (string id in ids)
        {
            foreach (var server in servers)
            {
                if (!server.Offered!.Any(o => o.Id.Equals(id, StringComparison.OrdinalIgnoreCase)))
                {
                    throw new TransportRefusedException($"{server.Name} does not offer transport '{id}': it offers {List(server.Offered!)} " +
                        "(its transport registry, GET /api/stats), or use all.");
                }
            }
            if (!TransportCatalog.TryGet(id, out var transport))
            {
                var label = servers[0].Offered!.First(o => o.Id.Equals(id, StringComparison.OrdinalIgnoreCase)).Label;
                throw new TransportRefusedException($"{servers[0].Name} offers '{id}' ({label}), but the bench has no client for it: " +
                    $"it has clients for {string.Join(", ", TransportCatalog.Ids)}.");
            }
            run.Add(transport);
        }
        return settings with { Transports = run };
    }

    private static string List(IEnumerable<OfferedTransport> transports) => string.Join(", ", transports.Select(t => t.Id));

    /// <summary>The cluster target's name in every report: "cluster-3" for three instances.</summary>
    internal static string ClusterName(int instances) => $"cluster-{instances}";

    internal const string UnlimitedConnects = "Security:ConnectBurst=1000000";

    /// <summary>--compression: both of the app's compression settings (docs/protocol.md, "Compression").</summary>
    private static readonly string[] CompressionOn = ["WebSockets:Compression:Enabled=true", "HttpCompression:Enabled=true"];

    /// <summary>The servers to measure; a variant's settings and environment come after the global ones, so they win.</summary>
    internal static List<Target> Targets(BenchSettings settings)
    {
        var targets = new List<Target>();
        string dll = settings.ServerDll ?? BuildInfo.WebDll;
        // Every bench client comes from one machine, i.e. one "client address" to the app's per-address connect
        // rate limit (Security:ConnectBurst, 120 by default): lift it first; --server-arg can still set it.
        string[] appArgs = [UnlimitedConnects, .. (settings.Compression ? CompressionOn : []), .. settings.ServerArgs];
        bool tls = settings.Stacks.Any(s => s.Tls);
        if (settings.Url is { } url) targets.Add(new UrlTarget("url", url, settings.ServerPid));
        else if (settings.Variants.Count > 0)
        {
            targets.AddRange(settings.Variants.Select(v =>
                new AppTarget(v.Name, dll, [.. appArgs, .. v.ServerArgs], [.. settings.ServerEnv, .. v.ServerEnv], tls)));
        }
        else targets.Add(new AppTarget("pushcompare", dll, appArgs, settings.ServerEnv, tls));
        // The cluster after the app alone, so "vs first target" figures are the cluster's cost over the direct app.
        if (settings.Cluster is { } instances)
        {
            targets.Add(new ClusterTarget(ClusterName(instances), instances, settings.Gateways, dll, BuildInfo.GatewayDll, appArgs, settings.ServerEnv));
        }
        if (settings.NodePeer) targets.Add(new NodePeerTarget(BuildInfo.NodePeerDirectory));
        return targets;
    }
}
