using Spectre.Console;

namespace PushCompare.Bench.Reporting;

/// <summary>
/// One update of the live display, about once a second: <paramref name="Elapsed"/> seconds into the current phase of
/// at most <paramref name="Length"/> seconds (0 while connecting, which has no set length).
/// </summary>
internal sealed record ProgressState(string Title, string Phase, double Elapsed, double Length, int Connected, int Clients,
    double MessagesPerSecond, double? P99Ms, long Errors, long Lost)
{
    /// <summary>"measuring 3/10 s", "draining 1/10 s" (the drain's length is its limit), "connecting 4 s".</summary>
    public string Time => Length > 0 ? $"{Elapsed:0}/{Length:0.#} s" : $"{Elapsed:0} s";
}

/// <summary>Shows a run while it happens: a live table on a terminal, a line every few seconds in a log, or nothing.</summary>
internal interface IProgressSink
{
    Task RunAsync(Func<Action<ProgressState>, Task> body);
}

internal sealed class LiveProgress(IAnsiConsole console) : IProgressSink
{
    public Task RunAsync(Func<Action<ProgressState>, Task> body)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumns("run", "phase", "time", "clients", "msgs/s", "p99 (last s)", "errors", "lost");
        table.AddEmptyRow();
        return console.Live(table).AutoClear(true).StartAsync(async live => await body(state =>
        {
            table.UpdateCell(0, 0, Markup.Escape(state.Title));
            table.UpdateCell(0, 1, state.Phase);
            table.UpdateCell(0, 2, state.Time);
            table.UpdateCell(0, 3, $"{state.Connected}/{state.Clients}");
            table.UpdateCell(0, 4, $"{state.MessagesPerSecond:N0}");
            table.UpdateCell(0, 5, state.P99Ms is { } p ? $"{p:0.00} ms" : "-");
            table.UpdateCell(0, 6, state.Errors > 0 ? $"[red]{state.Errors}[/]" : "0");
            table.UpdateCell(0, 7, state.Lost > 0 ? $"[red]{state.Lost}[/]" : "0");
            live.Refresh();
        }));
    }
}

internal sealed class LineProgress(TextWriter output) : IProgressSink
{
    private static readonly TimeSpan Every = TimeSpan.FromSeconds(5);

    public Task RunAsync(Func<Action<ProgressState>, Task> body)
    {
        DateTime last = DateTime.MinValue;
        string lastPhase = "";
        return body(state =>
        {
            if (state.Phase == lastPhase && DateTime.UtcNow - last < Every) return;
            last = DateTime.UtcNow;
            lastPhase = state.Phase;
            output.WriteLine($"  {state.Title}: {state.Phase} {state.Time}, {state.Connected}/{state.Clients} connected, " +
                $"{state.MessagesPerSecond:N0} msgs/s, p99 {(state.P99Ms is { } p ? $"{p:0.00} ms" : "-")}, errors {state.Errors}, lost {state.Lost}");
        });
    }
}

internal sealed class NoProgress : IProgressSink
{
    public Task RunAsync(Func<Action<ProgressState>, Task> body) => body(_ => { });
}
