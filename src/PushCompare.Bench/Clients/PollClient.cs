using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using PushCompare.Bench.Cli;
using PushCompare.Bench.Clients.Raw;
using PushCompare.Bench.Running;

namespace PushCompare.Bench.Clients;

/// <summary>
/// The polling side of every polling client: opens a session (<c>POST /poll</c>), then polls
/// <c>GET /poll/{id}?cursor=C</c> — held by the server (long polling) or answered at once on a fixed interval
/// (<c>&amp;wait=0</c>, short polling). Checks that each batch's cursor advances by exactly its message count.
/// Requests go through the run's shared HttpClient, or with <c>--poll-client raw</c> through the client's own
/// <see cref="RawHttpConnection"/> (push and idle clients only).
/// </summary>
internal abstract class PollClient(int index, RunContext context) : BenchClient(index, context)
{
    private static readonly TimeSpan DeleteTimeout = TimeSpan.FromSeconds(5);

    protected string SessionId { get; private set; } = "";

    protected int PollTimeoutMs { get; private set; }

    protected PollHttp Http => Context.Http!;

    /// <summary>This client's own connection with <c>--poll-client raw</c>; null with HttpClient.</summary>
    private RawHttpConnection? _raw;

    protected bool ShortPolling => Context.Spec.Transport == Transport.ShortPoll;

    /// <summary>Query of the session-opening POST, e.g. "echo=exact" or "push=1000".</summary>
    protected abstract string OpenQuery { get; }

    protected override async Task OpenAsync(CancellationToken cancel)
    {
        if (Context.Settings.PollClient == PollClientKind.Raw && SupportsRawClient)
        {
            await OpenRawAsync(cancel);
            return;
        }
        using var request = Http.Post($"/poll?{OpenQuery}", body: null);
        using var response = await Http.SendAsync(Index, request, cancel);
        Interlocked.Increment(ref Counters.Requests); // the send loop counts its POSTs on the same counter
        string body = await response.Content.ReadAsStringAsync(cancel);
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"POST /poll?{OpenQuery} answered {(int)response.StatusCode}: {Shorten(body)}");
        }
        SetSession(JsonSerializer.Deserialize(body, PollJson.Default.PollSessionInfo));
    }

    /// <summary>Whether this client can use <c>--poll-client raw</c> (the echo client stays on HttpClient).</summary>
    protected virtual bool SupportsRawClient => false;

    private async Task OpenRawAsync(CancellationToken cancel)
    {
        _raw = new RawHttpConnection(Context.BaseUri, Context.Traffic, Context.Spec.Stack.Tls);
        int status = await _raw.Begin("POST /poll?"u8).Append(System.Text.Encoding.ASCII.GetBytes(OpenQuery)).SendAsync(emptyBody: true, cancel);
        Interlocked.Increment(ref Counters.Requests);
        if (status != (int)HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"POST /poll?{OpenQuery} answered {status}: {Shorten(System.Text.Encoding.UTF8.GetString(_raw.Body))}");
        }
        SetSession(JsonSerializer.Deserialize(_raw.Body, PollJson.Default.PollSessionInfo));
        _sessionPath = System.Text.Encoding.ASCII.GetBytes(SessionId);
    }

    private byte[] _sessionPath = [];

    private void SetSession(PollSessionInfo? info)
    {
        if (info is null) throw new InvalidOperationException("POST /poll answered 201 without a session");
        SessionId = info.Id;
        PollTimeoutMs = info.PollTimeoutMs;
    }

    /// <summary>
    /// Polls until <paramref name="done"/> says so (checked after every response) or <paramref name="cancel"/> fires.
    /// <paramref name="onMessage"/> gets each message in order; returning false ends the loop.
    /// </summary>
    /// <remarks>With <c>--poll-client raw</c> messages go to <paramref name="onUtf8"/> as UTF-8 bytes instead.</remarks>
    protected async Task PollLoopAsync(Func<string, bool> onMessage, Utf8MessageHandler? onUtf8, Func<bool> done, CancellationToken cancel)
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
            var (status, next) = _raw is not null && onUtf8 is not null
                ? await PollRawAsync(_raw, cursor, ShortPolling, onUtf8, cancel)
                : await PollHttpAsync(cursor, wait, onMessage, cancel);
            if (status == PollStatus.Stop) return;
            cursor = next;
            if (status == PollStatus.Empty)
            {
                Counters.EmptyPolls++;
                if (ShortPolling && Stopwatch.GetElapsedTime(started).TotalMilliseconds >= 0.9 * PollTimeoutMs)
                {
                    Error("the server held a wait=0 poll until its poll timeout: it does not support short polling (GET /poll/{id}?wait=0)");
                    return;
                }
            }
            if (timer is not null && !done()) await timer.WaitForNextTickAsync(cancel);
        }
    }

    private enum PollStatus { Delivered, Empty, Stop }

    private async Task<(PollStatus, long)> PollHttpAsync(long cursor, string wait, Func<string, bool> onMessage, CancellationToken cancel)
    {
        using var request = Http.Get($"/poll/{SessionId}?cursor={cursor}{wait}");
        using var response = await Http.SendAsync(Index, request, cancel);
        Interlocked.Increment(ref Counters.Requests); // the send loop counts its POSTs on the same counter
        if (response.StatusCode == HttpStatusCode.NoContent) return (PollStatus.Empty, cursor);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            PollFailed((int)response.StatusCode, await response.Content.ReadAsStringAsync(CancellationToken.None));
            return (PollStatus.Stop, cursor);
        }
        var batch = await response.Content.ReadFromJsonAsync(PollJson.Default.PollBatch, cancel);
        if (batch is null)
        {
            Error("a poll batch was JSON null");
            return (PollStatus.Stop, cursor);
        }
        if (!BatchAdvances(cursor, batch.Cursor, batch.Messages.Length)) return (PollStatus.Stop, cursor);
        foreach (var message in batch.Messages)
        {
            Counters.PayloadDown += System.Text.Encoding.UTF8.GetByteCount(message);
            if (!onMessage(message)) return (PollStatus.Stop, batch.Cursor);
        }
        return (PollStatus.Delivered, batch.Cursor);
    }

    // Pooled builder: a held poll completes asynchronously on every message, and this must not allocate per message.
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<(PollStatus, long)> PollRawAsync(RawHttpConnection raw, long cursor, bool shortPoll, Utf8MessageHandler onUtf8, CancellationToken cancel)
    {
        raw.Begin("GET /poll/"u8).Append(_sessionPath).Append("?cursor="u8).Append(cursor);
        if (shortPoll) raw.Append("&wait=0"u8);
        int status = await raw.SendAsync(emptyBody: false, cancel);
        Interlocked.Increment(ref Counters.Requests);
        return status switch
        {
            (int)HttpStatusCode.NoContent => (PollStatus.Empty, cursor),
            (int)HttpStatusCode.OK => DeliverRaw(raw.Body, cursor, onUtf8),
            _ => Failed(status, raw.Body),
        };

        (PollStatus, long) Failed(int status, ReadOnlySpan<byte> body)
        {
            PollFailed(status, System.Text.Encoding.UTF8.GetString(body));
            return (PollStatus.Stop, cursor);
        }
    }

    private (PollStatus, long) DeliverRaw(ReadOnlySpan<byte> json, long cursor, Utf8MessageHandler onUtf8)
    {
        var (next, count) = PollBatchReader.ReadHeader(json);
        if (!BatchAdvances(cursor, next, count)) return (PollStatus.Stop, cursor);
        return PollBatchReader.Deliver(json, onUtf8, ref Counters.PayloadDown) ? (PollStatus.Delivered, next) : (PollStatus.Stop, next);
    }

    /// <summary>The batch check both clients share: the cursor moves by exactly the number of messages.</summary>
    private bool BatchAdvances(long cursor, long next, int count)
    {
        if (next - cursor == count) return true;
        Error($"a poll batch's cursor moved from {cursor} to {next} for {count} messages (lost or repeated)");
        return false;
    }

    private void PollFailed(int status, string body) => Error($"GET /poll/{{id}} answered {status}: {Shorten(body)}");

    protected override async Task CloseAsync()
    {
        if (SessionId.Length == 0)
        {
            if (_raw is not null) await _raw.DisposeAsync();
            return;
        }
        try
        {
            using var timeout = new CancellationTokenSource(DeleteTimeout);
            if (_raw is not null)
            {
                await _raw.Begin("DELETE /poll/"u8).Append(_sessionPath).SendAsync(emptyBody: false, timeout.Token);
                return;
            }
            using var request = Http.Delete($"/poll/{SessionId}");
            using var response = await Http.SendAsync(Index, request, timeout.Token);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException or InvalidDataException)
        {
            // The session expires on its own; the run's results are already complete.
        }
        finally
        {
            if (_raw is not null) await _raw.DisposeAsync();
        }
    }

    protected static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "…";
}
