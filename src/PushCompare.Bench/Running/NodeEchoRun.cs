using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using PushCompare.Bench.Cli;
using PushCompare.Bench.Clients;
using PushCompare.Bench.Metrics;
using PushCompare.Bench.Targets;
using PushCompare.Hosting;

namespace PushCompare.Bench.Running;

/// <summary>
/// A closed-loop WebSocket echo run with the Node <c>ws</c> load client (<c>--client node</c>): bench/peers/node-ws-echo/client.js
/// connects the clients, warms up and measures its own window; the bench samples the server's CPU and memory when the
/// client says the window starts and ends, and reads the client's counts, socket bytes and latency histogram.
/// </summary>
internal static partial class NodeEchoRun
{
    [GeneratedRegex(@"^connected (?<n>\d+)$")]
    private static partial Regex ConnectedLine();

    public static async Task MeasureAsync(RunSpec spec, BenchSettings settings, Uri baseUri, TargetInstance instance, RunResult result, CancellationToken cancel)
    {
        string directory = BuildInfo.NodePeerDirectory;
        await NodePackages.EnsureInstalledAsync(directory, cancel);
        var start = new ProcessStartInfo("node") { WorkingDirectory = directory };
        foreach (string arg in new[]
        {
            "client.js",
            new UriBuilder(new Uri(baseUri, "/ws?echo=exact")) { Scheme = "ws" }.Uri.ToString(),
            baseUri.GetLeftPart(UriPartial.Authority), // the Origin the app's check admits, as the bench's own client sends
            spec.Clients.ToString(System.Globalization.CultureInfo.InvariantCulture),
            settings.Size.ToString(System.Globalization.CultureInfo.InvariantCulture),
            settings.WarmupSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            settings.DurationSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        })
        {
            start.ArgumentList.Add(arg);
        }

        ProcessSample[]? serverAtStart = null, serverAtEnd = null;
        var windowEnd = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var done = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        // Told every line as it is read, so the server is sampled within moments of the client's own window edges.
        void OnLine(string line)
        {
            if (line == "window-start") serverAtStart = ProcessSample.ReadAll(instance.Processes);
            else if (line.StartsWith("window-end ", StringComparison.Ordinal))
            {
                serverAtEnd = ProcessSample.ReadAll(instance.Processes);
                windowEnd.TrySetResult(line["window-end ".Length..]);
            }
            else if (line.StartsWith("done ", StringComparison.Ordinal)) done.TrySetResult(line["done ".Length..]);
        }

        ChildProcess child;
        Match connected;
        try
        {
            (child, connected) = await ChildProcess.StartAsync("the Node ws load client", start, ConnectedLine(), TimeSpan.FromSeconds(120), cancel, OnLine);
        }
        catch (ProcessSetupException ex)
        {
            result.Problems.Add(ex.Message);
            return;
        }
        await using (child)
        {
            result.ClientsConnected = int.Parse(connected.Groups["n"].Value, System.Globalization.CultureInfo.InvariantCulture);
            var limit = TimeSpan.FromSeconds(settings.WarmupSeconds + settings.DurationSeconds + settings.DrainSeconds + 30);
            var exited = child.WaitForExitAsync(cancel);
            var finished = await Task.WhenAny(done.Task, exited).WaitAsync(limit, cancel).ContinueWith(t => t.IsCompletedSuccessfully, TaskScheduler.Default);
            if (!done.Task.IsCompleted)
            {
                result.Problems.Add(finished
                    ? $"the Node load client exited (code {child.ExitCode}) before it finished. Its last output:{Environment.NewLine}{child.Tail}"
                    : $"the Node load client had not finished {limit.TotalSeconds:0} s after it connected");
                return;
            }
            var errors = new ErrorLog();
            ReadTotals(await done.Task, result, errors, settings.Size);
            if (windowEnd.Task.IsCompleted) ReadWindow(await windowEnd.Task, result, settings.Size);
            result.Server = RunDriver.ServerOverWindow(instance, serverAtStart, serverAtEnd, result, rssBaseline: null);
            ResultChecks.Complete(result, spec, settings, [], errors);
        }
    }

    private static void ReadTotals(string json, RunResult result, ErrorLog errors, int size)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        long sent = root.GetProperty("sent").GetInt64(), received = root.GetProperty("received").GetInt64();
        result.Totals = new CounterTotals(sent, received, sent * size, received * size, 0, 0, 0, 0, 0, 0);
        var listed = root.GetProperty("errors");
        foreach (var error in listed.EnumerateArray()) errors.Add(error.GetString() ?? "");
        // The client lists its first 20 errors; the count covers them all.
        long unlisted = root.GetProperty("errorCount").GetInt64() - listed.GetArrayLength();
        if (unlisted > 0) errors.Add($"and {unlisted} more errors the Node client did not list");
    }

    private static void ReadWindow(string json, RunResult result, int size)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        result.WindowSeconds = root.GetProperty("seconds").GetDouble();
        long sent = root.GetProperty("sent").GetInt64(), received = root.GetProperty("received").GetInt64();
        result.Window = new CounterTotals(sent, received, sent * size, received * size, 0, 0, 0, 0, 0, 0);
        long up = root.GetProperty("bytesUp").GetInt64(), down = root.GetProperty("bytesDown").GetInt64();
        result.WindowTraffic = new TrafficSnapshot(up, down, result.ClientsConnected) { WireUp = up, WireDown = down }; // plain TCP: wire = socket bytes
        result.ClientCpuSeconds = root.GetProperty("cpuSeconds").GetDouble();
        result.ClientCpuPercent = result.WindowSeconds > 0 ? 100 * result.ClientCpuSeconds / result.WindowSeconds : 0;
        var histogram = LatencyStats.NewHistogram();
        foreach (var pair in root.GetProperty("histogram").EnumerateArray())
        {
            histogram.RecordValueWithCount(Math.Clamp(pair[0].GetInt64(), 1, LatencyStats.HighestMicros), pair[1].GetInt64());
        }
        result.Latency = LatencySummary.From(histogram);
    }
}
