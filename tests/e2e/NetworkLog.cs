using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace PushCompare.E2ETests;

/// <summary>
/// Devtools' Network tab as a list, recorded over CDP: every request in the order it started (WebSockets too), with
/// its type and status as devtools shows them, plus the console's errors (a failed request logs one there).
/// </summary>
public sealed class NetworkLog
{
    private readonly Lock _gate = new();
    private readonly List<NetworkRow> _rows = [];
    private readonly Dictionary<string, NetworkRow> _byId = [];
    private readonly List<string> _consoleErrors = [];
    private readonly List<(Func<bool> Done, TaskCompletionSource Signal)> _waiters = [];

    public static async Task<NetworkLog> RecordAsync(IPage page)
    {
        var cdp = await page.Context.NewCDPSessionAsync(page);
        var log = new NetworkLog();
        void On(string name, Action<JsonElement> handle) => cdp.Event(name).OnEvent += (_, e) =>
        {
            lock (log._gate)
            {
                handle(e!.Value);
                log.Notify();
            }
        };
        On("Network.requestWillBeSent", e =>
        {
            var request = e.GetProperty("request");
            log.Add(e, request.GetProperty("method").GetString()!, request.GetProperty("url").GetString()!,
                e.TryGetProperty("type", out var type) ? type.GetString()! : "Other");
        });
        On("Network.responseReceived", e => log.Row(e)!.Status = e.GetProperty("response").GetProperty("status").GetInt32());
        On("Network.loadingFinished", e => log.Row(e)!.Finished = true);
        On("Network.loadingFailed", e => log.Row(e)!.Failed = e.GetProperty("errorText").GetString());
        On("Network.eventSourceMessageReceived", e => log.Row(e)!.Events.Add(e.GetProperty("eventName").GetString()!));
        On("Network.webSocketCreated", e => log.Add(e, "GET", e.GetProperty("url").GetString()!, "WebSocket"));
        On("Network.webSocketHandshakeResponseReceived", e => log.Row(e)!.Status = e.GetProperty("response").GetProperty("status").GetInt32());
        On("Network.webSocketFrameSent", e => log.Row(e)!.FramesSent++);
        On("Network.webSocketFrameReceived", e => log.Row(e)!.FramesReceived++);
        On("Network.webSocketClosed", e => log.Row(e)!.Finished = true);
        On("Log.entryAdded", e =>
        {
            var entry = e.GetProperty("entry");
            if (entry.GetProperty("level").GetString() == "error") log._consoleErrors.Add(entry.GetProperty("text").GetString()!);
        });
        page.Console += (_, message) =>
        {
            if (message.Type != "error") return;
            lock (log._gate) log._consoleErrors.Add(message.Text);
        };
        await cdp.SendAsync("Network.enable");
        await cdp.SendAsync("Log.enable");
        return log;
    }

    /// <summary>How many requests so far: a mark to take the rows that come after an action.</summary>
    public int Count
    {
        get { lock (_gate) return _rows.Count; }
    }

    /// <summary>The requests started after <paramref name="mark"/>, in order.</summary>
    public IReadOnlyList<NetworkRow> Since(int mark)
    {
        lock (_gate) return [.. _rows.Skip(mark)];
    }

    /// <summary>Every request that devtools shows red: a status of 400 or more, or no answer at all (failed, canceled).</summary>
    public IReadOnlyList<NetworkRow> Red
    {
        get { lock (_gate) return [.. _rows.Where(r => r.Failed is not null || r.Status >= 400)]; }
    }

    public IReadOnlyList<string> ConsoleErrors
    {
        get { lock (_gate) return [.. _consoleErrors]; }
    }

    /// <summary>Resolves once <paramref name="done"/> holds for the rows after <paramref name="mark"/>, checked after every CDP event.</summary>
    public Task SinceAsync(int mark, Func<IReadOnlyList<NetworkRow>, bool> done, TimeSpan timeout)
    {
        var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        bool Check() => done([.. _rows.Skip(mark)]);
        lock (_gate)
        {
            if (Check()) return Task.CompletedTask;
            _waiters.Add((Check, signal));
        }
        return signal.Task.WaitAsync(timeout).ContinueWith(t =>
        {
            if (t.IsFaulted) throw new TimeoutException($"The Network tab after the step shows only:\n{string.Join("\n", Since(mark))}", t.Exception);
        }, TaskScheduler.Default);
    }

    private void Add(JsonElement e, string method, string url, string type)
    {
        var row = new NetworkRow(method, new Uri(url), type);
        _byId[e.GetProperty("requestId").GetString()!] = row;
        _rows.Add(row);
    }

    private NetworkRow? Row(JsonElement e) => _byId.GetValueOrDefault(e.GetProperty("requestId").GetString()!) ?? Placeholder;

    // Events of a request that started before recording (none on a fresh page) land here and are ignored.
    private static readonly NetworkRow Placeholder = new("", new Uri("about:blank"), "");

    // Called under the lock after every event.
    private void Notify()
    {
        for (int i = _waiters.Count - 1; i >= 0; i--)
        {
            if (!_waiters[i].Done()) continue;
            _waiters[i].Signal.TrySetResult();
            _waiters.RemoveAt(i);
        }
    }
}

/// <summary>One row of the Network tab.</summary>
public sealed partial class NetworkRow(string method, Uri url, string type)
{
    public string Method { get; } = method;
    public Uri Url { get; } = url;
    /// <summary>Devtools' Type column as CDP names it: Document, Stylesheet, Script, Fetch, EventSource, WebSocket.</summary>
    public string Type { get; } = type;
    public int? Status { get; set; }
    public bool Finished { get; set; }
    public string? Failed { get; set; }
    /// <summary>An EventSource's events by name (its EventStream tab), in order.</summary>
    public List<string> Events { get; } = [];
    public int FramesSent { get; set; }
    public int FramesReceived { get; set; }

    /// <summary>
    /// The request as a README step names it: method, path with a session id as {id}, and the query's names —
    /// "POST /poll/{id}?seq", "GET /ws?client".
    /// </summary>
    public string Shape
    {
        get
        {
            var path = SessionId().Replace(Url.AbsolutePath, "/$1/{id}");
            var names = Url.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=')[0]);
            var query = string.Join("&", names);
            return $"{Method} {path}{(query.Length > 0 ? "?" + query : "")}";
        }
    }

    public override string ToString() => $"{Shape} ({Type}) {Status?.ToString() ?? "pending"}{(Failed is null ? "" : $" failed: {Failed}")}";

    [GeneratedRegex("^/(poll|sse)/[^/]+")]
    private static partial Regex SessionId();
}
