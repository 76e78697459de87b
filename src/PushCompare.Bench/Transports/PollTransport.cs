using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using PushCompare.Bench.Cli;
using PushCompare.Bench.Clients;
using PushCompare.Bench.Clients.Raw;
using PushCompare.Bench.Reporting;
using PushCompare.Bench.Running;

namespace PushCompare.Bench.Transports;

/// <summary>
/// Polling (<c>/poll</c>): a session, messages as <c>POST /poll/{id}?seq=N</c>, deliveries as batches of
/// <c>GET /poll/{id}?cursor=C</c>. Long and short polling differ only in how the GET waits.
/// </summary>
public abstract class PollTransport : BenchTransport
{
    /// <summary>Short polling: each GET is answered at once (<c>wait=0</c>), on a fixed interval.</summary>
    internal abstract bool Short { get; }

    public override double? PaperBytesPerMessage => LubbersTable.PollingBytes2010;

    public override string OpenRequest(string query) => $"POST /poll?{query}";

    /// <summary>Echo always uses HttpClient; push and idle use the raw client with <c>--poll-client raw</c>.</summary>
    private static bool UsesRawClient(RunSpec spec, BenchSettings settings) =>
        settings.PollClient == PollClientKind.Raw && spec.Mode is RunMode.Push or RunMode.Idle;

    internal override bool NeedsSharedHttp(RunSpec spec, BenchSettings settings) => !UsesRawClient(spec, settings);

    internal override BenchConnection Connect(RunContext context, int index, ClientCounters counters, SessionKind kind) =>
        new PollConnection(index, context, counters, kind, Short, UsesRawClient(context.Spec, context.Settings));

    internal override SessionReader SessionReader(Uri baseUri, WireStack stack, BenchSettings settings) =>
        new PollSessionReader(baseUri, stack, Short, settings.PollIntervalMs);
}

/// <summary>Long polling: the server holds each GET until a message comes or its poll timeout.</summary>
public sealed class LongPollTransport : PollTransport
{
    public override string Id => "longpoll";

    internal override bool Short => false;

    internal override async Task WarmUpAsync(HttpClient http, Uri baseUri, WireStack stack, CancellationToken cancel)
    {
        using var opened = await http.PostAsync("/poll?echo=exact", null, cancel);
        var session = await opened.EnsureSuccessStatusCode().Content.ReadFromJsonAsync(PollJson.Default.PollSessionInfo, cancel)
            ?? throw new InvalidOperationException("POST /poll answered without a session");
        using var sent = await http.PostAsync($"/poll/{session.Id}", new StringContent("warm-up", Encoding.UTF8, "text/plain"), cancel);
        using var polled = await http.GetAsync($"/poll/{session.Id}?cursor=0", cancel);
        using var deleted = await http.DeleteAsync($"/poll/{session.Id}", cancel);
    }
}

/// <summary>Short polling: a GET with <c>wait=0</c> every <c>--poll-interval</c> ms, answered at once.</summary>
public sealed class ShortPollTransport : PollTransport
{
    public override string Id => "shortpoll";

    internal override bool Short => true;

    public override string? IdleSkipReason => "short polling holds nothing open between polls";
}

/// <summary>
/// A polling session: opens it (<c>POST /poll</c>), then polls <c>GET /poll/{id}?cursor=C</c> — held by the server
/// (long polling) or answered at once on a fixed interval (<c>&amp;wait=0</c>, short polling) — and checks that each
/// batch's cursor advances by exactly its message count. Requests go through the run's shared HttpClient, or with
/// <c>--poll-client raw</c> through the client's own <see cref="RawHttpConnection"/>.
/// </summary>
internal sealed class PollConnection : BenchConnection
{
    private static readonly TimeSpan DeleteTimeout = TimeSpan.FromSeconds(5);
    private const int MaxStackMessage = 256;

    private readonly bool _short;
    private readonly CancellationTokenSource _finish;
    private readonly Utf8MessageHandler _onUtf8;
    /// <summary>This client's own connection with <c>--poll-client raw</c>; null with HttpClient.</summary>
    private readonly RawHttpConnection? _raw;
    private IMessageSink? _sink;
    private string _sessionId = "";
    private byte[] _sessionPath = [];
    private int _pollTimeoutMs;

    public PollConnection(int index, RunContext context, ClientCounters counters, SessionKind kind, bool shortPolling, bool raw)
        : base(index, context, counters, kind)
    {
        _short = shortPolling;
        _finish = CancellationTokenSource.CreateLinkedTokenSource(context.Abort);
        _onUtf8 = message =>
        {
            _sink!.OnMessage(message);
            return true;
        };
        if (raw) _raw = new RawHttpConnection(context.BaseUri, context.Traffic, context.Spec.Stack.Tls);
    }

    private PollHttp Http => Context.Http!;

    /// <summary>Query of the session-opening POST.</summary>
    private string OpenQuery => Kind == SessionKind.Push ? Context.Settings.PushQuery : "echo=exact";

    public override async Task OpenAsync(CancellationToken cancel)
    {
        if (_raw is not null)
        {
            int status = await _raw.Begin("POST /poll?"u8).Append(Encoding.ASCII.GetBytes(OpenQuery)).SendAsync(emptyBody: true, cancel);
            Interlocked.Increment(ref Counters.Requests);
            if (status != (int)HttpStatusCode.Created)
            {
                throw new InvalidOperationException($"POST /poll?{OpenQuery} answered {status}: {Shorten(_raw.Body)}");
            }
            SetSession(JsonSerializer.Deserialize(_raw.Body, PollJson.Default.PollSessionInfo));
            return;
        }
        using var request = Http.Post($"/poll?{OpenQuery}", body: null);
        using var response = await Http.SendAsync(Index, request, cancel);
        Interlocked.Increment(ref Counters.Requests); // sends count their POSTs on the same counter
        string body = await response.Content.ReadAsStringAsync(cancel);
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"POST /poll?{OpenQuery} answered {(int)response.StatusCode}: {Shorten(body)}");
        }
        SetSession(JsonSerializer.Deserialize(body, PollJson.Default.PollSessionInfo));
    }

    private void SetSession(PollSessionInfo? info)
    {
        if (info is null) throw new InvalidOperationException("POST /poll answered 201 without a session");
        _sessionId = info.Id;
        _sessionPath = Encoding.ASCII.GetBytes(info.Id);
        _pollTimeoutMs = info.PollTimeoutMs;
    }

    /// <summary>Polls until <see cref="FinishAsync"/> (or a failed poll); each batch's messages go to <paramref name="sink"/> in order.</summary>
    public override async Task ReceiveAsync(IMessageSink sink)
    {
        _sink = sink;
        var cancel = _finish.Token;
        try
        {
            long cursor = 0;
            if (_short)
            {
                // Clients poll at random phases, as independent browsers would, not in lock-step with the server's ticks.
                await Task.Delay(Random.Shared.Next(Context.Settings.PollIntervalMs), cancel);
            }
            using var timer = _short ? new PeriodicTimer(TimeSpan.FromMilliseconds(Context.Settings.PollIntervalMs)) : null;
            while (!cancel.IsCancellationRequested)
            {
                long started = Stopwatch.GetTimestamp();
                var (status, next) = _raw is not null ? await PollRawAsync(_raw, cursor, cancel) : await PollHttpAsync(cursor, cancel);
                if (status == PollStatus.Stop) return;
                cursor = next;
                if (status == PollStatus.Empty)
                {
                    Counters.EmptyPolls++;
                    if (_short && Stopwatch.GetElapsedTime(started).TotalMilliseconds >= 0.9 * _pollTimeoutMs)
                    {
                        Error("the server held a wait=0 poll until its poll timeout: it does not support short polling (GET /poll/{id}?wait=0)");
                        return;
                    }
                }
                if (timer is not null && !cancel.IsCancellationRequested) await timer.WaitForNextTickAsync(cancel);
            }
        }
        catch (OperationCanceledException) when (_finish.IsCancellationRequested && !Context.Abort.IsCancellationRequested)
        {
            // Finished while a poll was held or between short polls.
        }
    }

    private enum PollStatus { Delivered, Empty, Stop }

    private async Task<(PollStatus, long)> PollHttpAsync(long cursor, CancellationToken cancel)
    {
        using var request = Http.Get(_short ? $"/poll/{_sessionId}?cursor={cursor}&wait=0" : $"/poll/{_sessionId}?cursor={cursor}");
        using var response = await Http.SendAsync(Index, request, cancel);
        Interlocked.Increment(ref Counters.Requests); // sends count their POSTs on the same counter
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
        foreach (var message in batch.Messages) Deliver(message);
        return (PollStatus.Delivered, batch.Cursor);
    }

    /// <summary>HttpClient's batch holds strings: each goes to the sink as its UTF-8 bytes, from the stack or the pool.</summary>
    private void Deliver(string message)
    {
        int max = Encoding.UTF8.GetMaxByteCount(message.Length);
        byte[]? rented = null;
        Span<byte> utf8 = max <= MaxStackMessage ? stackalloc byte[MaxStackMessage] : (rented = ArrayPool<byte>.Shared.Rent(max));
        try
        {
            _sink!.OnMessage(utf8[..Encoding.UTF8.GetBytes(message, utf8)]);
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    // Pooled builder: a held poll completes asynchronously on every message, and this must not allocate per message.
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<(PollStatus, long)> PollRawAsync(RawHttpConnection raw, long cursor, CancellationToken cancel)
    {
        raw.Begin("GET /poll/"u8).Append(_sessionPath).Append("?cursor="u8).Append(cursor);
        if (_short) raw.Append("&wait=0"u8);
        int status = await raw.SendAsync(emptyBody: false, cancel);
        Interlocked.Increment(ref Counters.Requests);
        return status switch
        {
            (int)HttpStatusCode.NoContent => (PollStatus.Empty, cursor),
            (int)HttpStatusCode.OK => DeliverRaw(raw.Body, cursor),
            _ => Failed(status, raw.Body),
        };

        (PollStatus, long) Failed(int status, ReadOnlySpan<byte> body)
        {
            PollFailed(status, Encoding.UTF8.GetString(body));
            return (PollStatus.Stop, cursor);
        }
    }

    private (PollStatus, long) DeliverRaw(ReadOnlySpan<byte> json, long cursor)
    {
        var (next, count) = PollBatchReader.ReadHeader(json);
        if (!BatchAdvances(cursor, next, count)) return (PollStatus.Stop, cursor);
        long bytes = 0; // the sink counts the payload, as for every transport
        return PollBatchReader.Deliver(json, _onUtf8, ref bytes) ? (PollStatus.Delivered, next) : (PollStatus.Stop, next);
    }

    /// <summary>The batch check both clients share: the cursor moves by exactly the number of messages.</summary>
    private bool BatchAdvances(long cursor, long next, int count)
    {
        if (next - cursor == count) return true;
        Error($"a poll batch's cursor moved from {cursor} to {next} for {count} messages (lost or repeated)");
        return false;
    }

    private void PollFailed(int status, string body) => Error($"GET /poll/{{id}} answered {status}: {Shorten(body)}");

    /// <summary><c>POST /poll/{id}?seq=N</c> (one in flight, as the protocol requires); its reply comes back through the poll loop.</summary>
    public override async ValueTask<bool> SendAsync(long sequence, ReadOnlyMemory<byte> message)
    {
        using var request = Http.Post($"/poll/{_sessionId}?seq={sequence}", message);
        using var response = await Http.SendAsync(Index, request, Context.Abort);
        Interlocked.Increment(ref Counters.Requests);
        if (response.StatusCode == HttpStatusCode.Accepted) return true;
        Error($"POST /poll/{{id}} answered {(int)response.StatusCode}: {Shorten(await response.Content.ReadAsStringAsync(CancellationToken.None))}");
        return false;
    }

    /// <summary>Stops polling: a held poll is cancelled, a short-poll wait ends.</summary>
    public override Task FinishAsync()
    {
        _finish.Cancel();
        return Task.CompletedTask;
    }

    public override async Task CloseAsync()
    {
        try
        {
            if (_sessionId.Length == 0) return;
            using var timeout = new CancellationTokenSource(DeleteTimeout);
            if (_raw is not null)
            {
                await _raw.Begin("DELETE /poll/"u8).Append(_sessionPath).SendAsync(emptyBody: false, timeout.Token);
                return;
            }
            using var request = Http.Delete($"/poll/{_sessionId}");
            using var response = await Http.SendAsync(Index, request, timeout.Token);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException or InvalidDataException)
        {
            // The session expires on its own; the run's results are already complete.
        }
        finally
        {
            if (_raw is not null) await _raw.DisposeAsync();
            _finish.Dispose();
        }
    }
}
