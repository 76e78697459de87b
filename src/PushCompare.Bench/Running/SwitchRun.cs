using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using PushCompare.Bench.Cli;
using PushCompare.Bench.Clients;
using PushCompare.Bench.Metrics;
using PushCompare.Bench.Targets;
using PushCompare.Bench.Transports;

namespace PushCompare.Bench.Running;

/// <summary>
/// What a transport switch costs: one session receiving server pushes (<c>POST /poll?push=T</c>) is carried by one
/// transport's reader after another. Each reader processes a few messages, then dies on receipt of the next one (its
/// connection aborted: that message was in flight, so it is not processed), and the next reader attaches from the cursor
/// of the last processed message. Measured per ordered pair of transports: from the death to the next delivered message
/// (the one in flight, which the session still holds). Every number must follow the last processed one: a gap is lost,
/// a number already processed is a duplicate, and either fails the run. Reconnecting on the same transport is the pair's
/// diagonal ("resume").
/// </summary>
internal sealed class SwitchRun(BenchSettings settings)
{
    /// <summary>Messages each reader processes before it is killed: it has shown it delivers.</summary>
    internal const int MessagesPerReader = 3;

    /// <summary>Longest a reader may take to deliver its messages before the run gives up.</summary>
    private static readonly TimeSpan ReaderTimeout = TimeSpan.FromSeconds(15);

    /// <summary>One result per ordered pair of <paramref name="transports"/> (the first's death, the second's first message).</summary>
    public async Task<List<RunResult>> RunAsync(Target target, WireStack stack, int round, IReadOnlyList<BenchTransport> transports, CancellationToken cancel)
    {
        var pairs = new Dictionary<(int From, int To), PairFigures>();
        for (int a = 0; a < transports.Count; a++)
            for (int b = 0; b < transports.Count; b++) pairs[(a, b)] = new PairFigures();
        var problems = new List<string>();
        long processed = 0;
        try
        {
            var instance = (await target.StartAsync(cancel)).OverLink(settings.Link);
            await using (instance)
            {
                if (instance.BaseUriFor(stack) is not { } baseUri)
                {
                    problems.Add($"{target.Name} has no endpoint for {stack.Label}");
                }
                else
                {
                    var readers = transports.Select(t => t.SessionReader(baseUri, stack, settings)
                        ?? throw new InvalidOperationException($"{t.Id} cannot carry a session: it cannot be switched to")).ToList();
                    processed = await SwitchAsync(baseUri, stack, transports, readers, pairs, problems, cancel);
                }
                if (instance.Exited) problems.Add($"the server exited during the run. Its last output:{Environment.NewLine}{instance.OutputTail}");
            }
        }
        catch (Exception ex) when (ex is Hosting.ProcessSetupException or HttpRequestException or InvalidOperationException)
        {
            problems.Add(ex.Message);
        }
        return [.. pairs.Select(p => Result(target, stack, round, transports[p.Key.From], transports[p.Key.To], p.Value, problems, processed))];
    }

    /// <summary>
    /// Opens the session and moves it along a plan that covers every ordered pair <c>--clients</c> times; returns the
    /// messages processed. A reader that fails or stalls ends the run with its problem.
    /// </summary>
    private async Task<long> SwitchAsync(Uri baseUri, WireStack stack, IReadOnlyList<BenchTransport> transports, List<SessionReader> readers,
        Dictionary<(int, int), PairFigures> pairs,
        List<string> problems, CancellationToken cancel)
    {
        using var http = new HttpClient(HttpStack.CreateHandler(stack, baseUri, traffic: null))
        {
            BaseAddress = baseUri,
            DefaultRequestVersion = HttpStack.Version(stack),
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        using var opened = await http.PostAsync($"/poll?push={settings.IntervalMs}", null, cancel);
        if (opened.StatusCode != HttpStatusCode.Created)
        {
            problems.Add($"POST /poll?push={settings.IntervalMs} answered {(int)opened.StatusCode}: {await opened.Content.ReadAsStringAsync(cancel)}");
            return 0;
        }
        string id = (await opened.Content.ReadFromJsonAsync(PollJson.Default.PollSessionInfo, cancel))!.Id;
        long last = 0, processed = 0, killedAt = 0;
        int? from = null;
        foreach (int next in Plan(readers.Count, settings.Clients.Max()))
        {
            int delivered = 0;
            var pair = from is { } f ? pairs[(f, next)] : null;
            bool first = true;
            bool OnMessage(long n, string text)
            {
                if (n <= last)
                {
                    (pair ?? pairs[(next, next)]).Duplicates++; // resent below the reader's cursor: dropped, and a fault of the switch
                    return true;
                }
                if (first && pair is not null) pair.Record(Stopwatch.GetElapsedTime(killedAt));
                first = false;
                if (n > last + 1) (pair ?? pairs[(next, next)]).Lost += n - last - 1;
                if (++delivered > MessagesPerReader)
                {
                    killedAt = Stopwatch.GetTimestamp(); // dies with message n on its wire: n is not processed
                    return false;
                }
                last = n;
                processed++;
                return true;
            }
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            timeout.CancelAfter(ReaderTimeout);
            string name = from is { } g ? $"{transports[g].Id} → {transports[next].Id}" : transports[next].Id;
            try
            {
                await readers[next].ReadAsync(id, last, OnMessage, timeout.Token);
            }
            catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
            {
                problems.Add($"{name}: the reader delivered {delivered} of {MessagesPerReader + 1} messages in {ReaderTimeout.TotalSeconds:0} s");
                break;
            }
            catch (Exception ex) when (ex is HttpRequestException or InvalidOperationException or InvalidDataException or IOException
                or System.Net.WebSockets.WebSocketException)
            {
                problems.Add($"{name}: {ex.Message}");
                break;
            }
            from = next;
        }
        using var deleted = await http.DeleteAsync($"/poll/{id}", CancellationToken.None);
        return processed;
    }

    /// <summary>
    /// The order of the readers: starting on the first, every ordered pair (a, b) at least <paramref name="times"/> times
    /// (moving to a first when the session is elsewhere, which is a switch too).
    /// </summary>
    internal static List<int> Plan(int transports, int times)
    {
        var plan = new List<int> { 0 };
        for (int t = 0; t < times; t++)
            for (int a = 0; a < transports; a++)
                for (int b = 0; b < transports; b++)
                {
                    if (plan[^1] != a) plan.Add(a);
                    plan.Add(b);
                }
        return plan;
    }

    private RunResult Result(Target target, WireStack stack, int round, BenchTransport from, BenchTransport to, PairFigures pair,
        List<string> problems, long processed)
    {
        var result = new RunResult
        {
            Scenario = settings.Scenario,
            Mode = RunMode.Switch.ToString(),
            Target = target.Name,
            TargetKind = target.Kind,
            Transport = $"{from.Id}→{to.Id}",
            Protocol = stack.Id,
            Headers = "minimal",
            Round = round,
            Clients = 1,
            IntervalMs = settings.IntervalMs,
            PollIntervalMs = settings.PollIntervalMs,
            ClientsConnected = 1,
            // Received: the switches measured; the whole session's processed messages are in the table's note.
            Totals = new CounterTotals(0, pair.Switches, 0, 0, 0, 0, pair.Lost, pair.Duplicates, 0, pair.Switches),
            Latency = LatencySummary.From(pair.Latency),
            Problems = [.. problems],
        };
        // The window: the whole session's messages processed (the same in every pair's result).
        result.Window = result.Totals with { Received = processed };
        if (pair.Lost > 0) result.Problems.Add($"{pair.Lost} messages lost (sequence gaps) after switching from {from.Id} to {to.Id}");
        if (pair.Duplicates > 0) result.Problems.Add($"{pair.Duplicates} messages delivered again after switching from {from.Id} to {to.Id}");
        return result;
    }

    private sealed class PairFigures
    {
        public HdrHistogram.HistogramBase Latency { get; } = LatencyStats.NewHistogram();

        public long Switches => Latency.TotalCount;

        public long Lost;

        public long Duplicates;

        public void Record(TimeSpan elapsed) => Latency.RecordValue(Math.Clamp(elapsed.Ticks / 10, 1, LatencyStats.HighestMicros));
    }
}
