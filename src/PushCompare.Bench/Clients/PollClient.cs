using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using PushCompare.Bench.Cli;
using PushCompare.Bench.Running;

namespace PushCompare.Bench.Clients;

/// <summary>
/// The polling side of every polling client: opens a session (<c>POST /poll</c>), then polls
/// <c>GET /poll/{id}?cursor=C</c> — held by the server (long polling) or answered at once on a fixed interval
/// (<c>&amp;wait=0</c>, short polling). Checks that each batch's cursor advances by exactly its message count.
/// </summary>
internal abstract class PollClient(int index, RunContext context) : BenchClient(index, context)
{
    private static readonly TimeSpan DeleteTimeout = TimeSpan.FromSeconds(5);

    protected string SessionId { get; private set; } = "";

    protected int PollTimeoutMs { get; private set; }

    protected PollHttp Http => Context.Http!;

    protected bool ShortPolling => Context.Spec.Transport == Transport.ShortPoll;

    /// <summary>Query of the session-opening POST, e.g. "echo=exact" or "push=1000".</summary>
    protected abstract string OpenQuery { get; }

    protected override async Task OpenAsync(CancellationToken cancel)
    {
        using var request = Http.Post($"/poll?{OpenQuery}", body: null);
        using var response = await Http.SendAsync(request, cancel);
        Interlocked.Increment(ref Counters.Requests); // the send loop counts its POSTs on the same counter
        string body = await response.Content.ReadAsStringAsync(cancel);
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"POST /poll?{OpenQuery} answered {(int)response.StatusCode}: {Shorten(body)}");
        }
        var info = JsonSerializer.Deserialize(body, PollJson.Default.PollSessionInfo)
            ?? throw new InvalidOperationException("POST /poll answered 201 without a session");
        SessionId = info.Id;
        PollTimeoutMs = info.PollTimeoutMs;
    }

    /// <summary>
    /// Polls until <paramref name="done"/> says so (checked after every response) or <paramref name="cancel"/> fires.
    /// <paramref name="onMessage"/> gets each message in order; returning false ends the loop.
    /// </summary>
    protected async Task PollLoopAsync(Func<string, bool> onMessage, Func<bool> done, CancellationToken cancel)
    {
        long cursor = 0;
        if (ShortPolling)
        {
            // Clients poll at random phases, as independent browsers would, not in lock-step with the server's ticks.
            await Task.Delay(Random.Shared.Next(Context.Settings.PollIntervalMs), cancel);
        }
        using var timer = ShortPolling ? new PeriodicTimer(TimeSpan.FromMilliseconds(Context.Settings.PollIntervalMs)) : null;
        string wait = ShortPolling ? "&wait=0" : "";
        while (!done())
        {
            long started = Stopwatch.GetTimestamp();
            using var request = Http.Get($"/poll/{SessionId}?cursor={cursor}{wait}");
            using var response = await Http.SendAsync(request, cancel);
            Interlocked.Increment(ref Counters.Requests); // the send loop counts its POSTs on the same counter
            if (response.StatusCode == HttpStatusCode.OK)
            {
                var batch = await response.Content.ReadFromJsonAsync(PollJson.Default.PollBatch, cancel);
                if (batch is null || batch.Cursor - cursor != batch.Messages.Length)
                {
                    Error($"a poll batch's cursor moved from {cursor} to {batch?.Cursor} for {batch?.Messages.Length} messages (lost or repeated)");
                    return;
                }
                cursor = batch.Cursor;
                foreach (var message in batch.Messages)
                {
                    Counters.PayloadDown += System.Text.Encoding.UTF8.GetByteCount(message);
                    if (!onMessage(message)) return;
                }
            }
            else if (response.StatusCode == HttpStatusCode.NoContent)
            {
                Counters.EmptyPolls++;
                if (ShortPolling && Stopwatch.GetElapsedTime(started).TotalMilliseconds >= 0.9 * PollTimeoutMs)
                {
                    Error("the server held a wait=0 poll until its poll timeout: it does not support short polling (GET /poll/{id}?wait=0)");
                    return;
                }
            }
            else
            {
                Error($"GET /poll/{{id}} answered {(int)response.StatusCode}: {Shorten(await response.Content.ReadAsStringAsync(CancellationToken.None))}");
                return;
            }
            if (timer is not null && !done()) await timer.WaitForNextTickAsync(cancel);
        }
    }

    protected override async Task CloseAsync()
    {
        if (SessionId.Length == 0) return;
        try
        {
            using var timeout = new CancellationTokenSource(DeleteTimeout);
            using var request = Http.Delete($"/poll/{SessionId}");
            using var response = await Http.SendAsync(request, timeout.Token);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
        {
            // The session expires on its own; the run's results are already complete.
        }
    }

    protected static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "…";
}
