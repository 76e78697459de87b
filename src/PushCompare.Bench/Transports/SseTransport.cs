using System.Buffers.Text;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Net.Http.Json;
using PushCompare.Bench.Cli;
using PushCompare.Bench.Clients;
using PushCompare.Bench.Clients.Raw;
using PushCompare.Bench.Clients.Sse;
using PushCompare.Bench.Metrics;
using PushCompare.Bench.Running;

namespace PushCompare.Bench.Transports;

/// <summary>
/// Server-Sent Events (<c>/sse</c>): a session, messages as <c>POST /sse/{id}?seq=N</c>, deliveries as events on one
/// long response. Over HTTP/1.1 every body byte of a stream that ended with its last chunk is accounted as chunk
/// framing or part of an event.
/// </summary>
public sealed class SseTransport : BenchTransport
{
    public override string Id => "sse";

    public override string? CompressionRefusal => "the SSE client parses the raw stream and has no Brotli/gzip decoder";

    public override string OpenRequest(string query) => $"POST /sse?{query}";

    public override string RunsNote =>
        "SSE runs over HTTP/1.1 use the bench's own HTTP/1.1 client (the same minimal request headers as HttpClient, or Chromium's), " +
        "over HTTP/2 SocketsHttpHandler; requests/msg counts the opening POST, the stream GET, the ack POSTs (one per 100 events) and the DELETE.";

    /// <summary>Over HTTP/2 the requests go through the shared handlers (<see cref="SseHttp2"/>); over HTTP/1.1 the client's own connections.</summary>
    internal override bool NeedsSharedHttp(RunSpec spec, BenchSettings settings) => spec.Stack.IsHttp2;

    internal override BenchConnection Connect(RunContext context, int index, ClientCounters counters, SessionKind kind) =>
        new SseConnection(index, context, counters, kind);

    internal override SessionReader SessionReader(Uri baseUri, WireStack stack, BenchSettings settings) => new SseSessionReader(baseUri, stack);

    internal override async Task WarmUpAsync(HttpClient http, Uri baseUri, WireStack stack, CancellationToken cancel)
    {
        using var opened = await http.PostAsync("/sse?echo=exact", null, cancel);
        var session = await opened.EnsureSuccessStatusCode().Content.ReadFromJsonAsync(PollJson.Default.PollSessionInfo, cancel)
            ?? throw new InvalidOperationException("POST /sse answered without a session");
        using var stream = await http.GetAsync($"/sse/{session.Id}", HttpCompletionOption.ResponseHeadersRead, cancel);
        using var reader = new StreamReader(await stream.EnsureSuccessStatusCode().Content.ReadAsStreamAsync(cancel));
        using var sent = await http.PostAsync($"/sse/{session.Id}?seq=1", new StringContent("warm-up", Encoding.UTF8, "text/plain"), cancel);
        while (await reader.ReadLineAsync(cancel) is { } line && line != "data: warm-up")
        {
            // The opening heartbeat, then the reply.
        }
        using var deleted = await http.DeleteAsync($"/sse/{session.Id}", cancel);
    }

    /// <summary>
    /// Sums the stream byte classes over streams that ended with their last chunk (after the DELETE; a stream cut
    /// during the run has a half-read end), checks that the parser's classes add up to what the counting stream read
    /// and that no event was left half-read, and, for clients whose every stream ended so, that each message event
    /// was counted as a message.
    /// </summary>
    internal override void Account(RunResult result, RunSpec spec, IReadOnlyList<BenchConnection> connections)
    {
        var sse = connections.OfType<SseConnection>().ToList();
        var clean = sse.SelectMany(c => c.Streams).Where(s => s.EndedCleanly).ToList();
        if (clean.Count == 0)
        {
            if (result.Problems.Count == 0) result.Problems.Add("no SSE stream ended with its last chunk after the DELETE, so its bytes could not be accounted for");
            return;
        }
        var counts = default(SseByteCounts);
        long heads = 0, unaccounted = 0;
        foreach (var s in clean)
        {
            var n = s.Parser.Counts;
            counts += n;
            heads += s.HeadBytes;
            unaccounted += s.BodyBytesRead - s.Parser.Fed + n.PendingBytes;
        }
        var whole = sse.Where(c => c.Streams.Count > 0 && c.Streams.All(s => s.EndedCleanly)).ToList();
        long events = whole.Sum(c => c.Streams.Sum(s => s.Parser.Counts.MessageEvents));
        long received = whole.Sum(c => c.Received);
        if (unaccounted != 0) result.Problems.Add($"{unaccounted} SSE stream bytes are neither chunk framing nor part of an event");
        if (events != received) result.Problems.Add($"{events} message events arrived but the clients counted {received}");
        result.Sse = new SseAccounting(whole.Count, clean.Count, sse.Sum(c => c.Reconnects), heads, counts, unaccounted,
            ResultChecks.Per(counts.PayloadBytes, counts.MessageEvents), ResultChecks.Per(counts.MessageFramingBytes, counts.MessageEvents),
            ResultChecks.Per(counts.ChunkFramingBytes, counts.MessageEvents));
    }
}

/// <summary>One stream connection's share of the byte accounting (a client has more than one only after a reconnect).</summary>
internal sealed class SseStreamRecord(Func<long> bodyBytesRead, int headBytes, SseStreamParser parser)
{
    /// <summary>A stream on its own HTTP/1.1 connection: body bytes are what its counting stream read after the head.</summary>
    public SseStreamRecord(CountingStream connection, long bodyStart, int headBytes, SseStreamParser parser)
        : this(() => connection.BytesRead - bodyStart, headBytes, parser)
    {
    }

    /// <summary>The 200 response head (status line, headers, blank line).</summary>
    public int HeadBytes { get; } = headBytes;

    public SseStreamParser Parser { get; } = parser;

    /// <summary>The last chunk arrived after the client's DELETE: every byte of the body has been classified.</summary>
    public bool EndedCleanly { get; set; }

    /// <summary>Body bytes the counting stream saw on this connection (independently of what the parser was fed).</summary>
    public long BodyBytesRead => bodyBytesRead();
}

/// <summary>
/// Server-Sent Events without HttpClient or EventSource: <c>POST /sse</c> opens the session, and on the same
/// connection <c>GET /sse/{id}</c> becomes the stream, parsed as it arrives by <see cref="SseStreamParser"/> (chunked
/// encoding and event fields, no string per event). Sends and acknowledgements go over a second keep-alive
/// connection, opened on first use (an idle client never needs one). Both are <see cref="RawHttpConnection"/>s, so
/// every byte passes a <see cref="CountingStream"/>. Every message event's <c>id:</c> must be the next number; after
/// a cut or an end the stream is opened again after the announced <c>retry:</c> with <c>Last-Event-ID</c>, as
/// EventSource does. At the end the client DELETEs the session and reads its stream to the last chunk.
/// Over HTTP/2 the same requests go through <see cref="SseHttp2"/> (the response head is HPACK there: "response head B"
/// is 0, and the stream's bytes are counted with its connection's).
/// </summary>
internal sealed class SseConnection(int index, RunContext context, ClientCounters counters, SessionKind kind)
    : BenchConnection(index, context, counters, kind)
{
    /// <summary>
    /// A push-only client must acknowledge, or its session closes once <c>Sessions:MaxBacklogMessages</c> are
    /// unacknowledged: it POSTs an ack every this many events, as the page does (an echo client acks with each send).
    /// </summary>
    public const int AckEvery = 100;

    // Clients start at random points of their ack cycle, as pages that have run for a while would be, so a window of
    // any length sees the steady share of ack requests (one per AckEvery messages), not none.
    private int _untilAck = Random.Shared.Next(1, AckEvery + 1);
    private IMessageSink? _sink;
    private Task? _reading;

    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(5);
    private readonly List<SseStreamRecord> _streams = [];
    private readonly Lock _requestGate = new();
    private RawHttpConnection? _stream;
    private SseHttp2? _h2;
    private RawHttpConnection? _requests;
    private SseStreamParser? _parser;
    private byte[] _sessionId = [];
    private long _lastEventId;
    private SequenceChecker _eventIds = new();
    private int _reconnectMs = 1000;
    private bool _superseded;
    private volatile bool _closing;
    private Task? _ack;

    private SseRequestHeads Heads { get; set; } = null!;

    private string SessionId { get; set; } = "";

    /// <summary>The id of the last message event processed: what a reconnect's Last-Event-ID and an ack= say.</summary>
    private long LastEventId => Interlocked.Read(ref _lastEventId);

    public IReadOnlyList<SseStreamRecord> Streams => _streams;

    /// <summary>Query of the session-opening POST: an idle client's session is an echo session it never uses.</summary>
    private string OpenQuery => Kind == SessionKind.Push ? Context.Settings.PushQuery : "echo=exact";

    /// <summary>Streams opened again (with Last-Event-ID) after the server ended or cut one during the run.</summary>
    public long Reconnects => Interlocked.Read(ref Counters.Reconnects);

    /// <summary>Messages this client received (the accounting compares them with the message events).</summary>
    public long Received => Interlocked.Read(ref Counters.Received);

    public override async Task OpenAsync(CancellationToken cancel)
    {
        Heads = SseRequestHeads.For(Context.Spec.Headers, Context.BaseUri);
        if (Context.Spec.Stack.IsHttp2)
        {
            await OpenHttp2Async(cancel);
            return;
        }
        _stream = new RawHttpConnection(Context.BaseUri, Context.Traffic, Context.Spec.Stack.Tls);
        _stream.Begin("POST /sse?"u8).Append(Encoding.ASCII.GetBytes(OpenQuery)).EndRequestLine().Append(Heads.Post).Append("Content-Length: 0\r\n\r\n"u8);
        int status = await _stream.SendPreparedAsync(cancel);
        Interlocked.Increment(ref Counters.Requests);
        if (status != (int)HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"POST /sse?{OpenQuery} answered {status}: {Shorten(_stream.Body)}");
        }
        SetSession(JsonSerializer.Deserialize(_stream.Body, PollJson.Default.SseSessionInfo));
        // The stream reuses the POST's connection, as a browser's EventSource would take the idle one from its pool.
        status = await OpenStreamAsync(resume: false, cancel);
        if (status != (int)HttpStatusCode.OK) throw new InvalidOperationException($"GET /sse/{{id}} answered {status}: {Shorten(_stream.Body)}");
    }

    private async Task OpenHttp2Async(CancellationToken cancel)
    {
        _h2 = new SseHttp2(Context.Http!, Index, Context.Spec.Headers);
        var (status, body) = await _h2.SendAsync(_h2.Post($"/sse?{OpenQuery}", null), cancel);
        Interlocked.Increment(ref Counters.Requests);
        if (status != (int)HttpStatusCode.Created) throw new InvalidOperationException($"POST /sse?{OpenQuery} answered {status}: {Shorten(body)}");
        SetSession(JsonSerializer.Deserialize(body, PollJson.Default.SseSessionInfo));
        status = await OpenStreamAsync(resume: false, cancel);
        if (status != (int)HttpStatusCode.OK) throw new InvalidOperationException($"GET /sse/{{id}} answered {status}: {Shorten(_lastBody)}");
    }

    private byte[] _lastBody = [];

    private void SetSession(SseSessionInfo? session)
    {
        var info = session ?? throw new InvalidOperationException("POST /sse answered 201 without a session");
        SessionId = info.Id;
        _sessionId = Encoding.ASCII.GetBytes(info.Id);
        if (info.ReconnectMs > 0) _reconnectMs = info.ReconnectMs;
    }

    /// <summary>GETs the stream; 200 leaves it open for <see cref="ReadLoopAsync"/>, any other status is returned with its body read.</summary>
    private async Task<int> OpenStreamAsync(bool resume, CancellationToken cancel)
    {
        if (_h2 is { } h2)
        {
            var (status, eventStream, body) = await h2.OpenStreamAsync($"/sse/{SessionId}", resume ? LastEventId : null, cancel);
            Interlocked.Increment(ref Counters.Requests);
            _lastBody = body;
            if (status != (int)HttpStatusCode.OK) return status;
            if (!eventStream) throw new InvalidDataException("GET /sse/{id} answered 200 without Content-Type: text/event-stream");
            _parser = new SseStreamParser(OnEvent, chunked: false);
            _streams.Add(new SseStreamRecord(() => h2.StreamBytesRead, 0, _parser));
            return status;
        }
        var c = _stream!;
        c.Begin("GET /sse/"u8).Append(_sessionId).EndRequestLine().Append(Heads.StreamBeforeLastEventId);
        if (resume) c.Append("Last-Event-ID: "u8).Append(LastEventId).Append("\r\n"u8);
        c.Append(Heads.StreamAfterLastEventId).Append("\r\n"u8);
        var head = await c.SendForStreamAsync(cancel);
        Interlocked.Increment(ref Counters.Requests);
        if (c.Status != (int)HttpStatusCode.OK) return c.Status;
        if (!head.EventStream) throw new InvalidDataException("GET /sse/{id} answered 200 without Content-Type: text/event-stream");
        if (!head.Chunked) throw new InvalidDataException("the event stream is not chunked: this client reads HTTP/1.1 chunked streams only");
        _parser = new SseStreamParser(OnEvent);
        var connection = c.Connection!;
        _streams.Add(new SseStreamRecord(connection, connection.BytesRead - c.BufferedBytes, head.Length, _parser));
        return head.Status;
    }

    /// <summary>Reads the stream (reconnecting after a cut during the run) until it ends after the DELETE of <see cref="FinishAsync"/>.</summary>
    public override Task ReceiveAsync(IMessageSink sink)
    {
        _sink = sink;
        return _reading = ReadLoopAsync();
    }

    /// <summary>The last ack finishes, DELETE ends the session and with it the stream.</summary>
    public override Task FinishAsync() => EndSessionAsync(_reading ?? Task.CompletedTask);

    /// <summary>Reads the stream until it ends after the DELETE; reconnects after a cut during the run.</summary>
    private async Task ReadLoopAsync()
    {
        try
        {
            while (true)
            {
                bool ended;
                try
                {
                    ended = await PumpAsync();
                }
                catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or HttpRequestException)
                {
                    ended = false;
                }
                if (_closing)
                {
                    _streams[^1].EndedCleanly = ended;
                    if (!ended) Error("the event stream was cut after the DELETE before its last chunk arrived");
                    return;
                }
                if (_superseded)
                {
                    Error("another GET took the session's stream over (event: superseded)");
                    return;
                }
                if (!await ReconnectAsync()) return;
            }
        }
        catch (InvalidDataException ex)
        {
            Error($"the event stream broke: {ex.Message}");
        }
    }

    /// <summary>Feeds the parser until the stream's last chunk (true) or the connection closes (false).</summary>
    private async Task<bool> PumpAsync()
    {
        while (true)
        {
            var data = _h2 is { } h2 ? await h2.ReadAsync(Context.Abort) : await _stream!.ReadStreamAsync(Context.Abort);
            if (data.IsEmpty)
            {
                // HTTP/1.1: the connection closed before the last chunk (a cut). HTTP/2: END_STREAM, the response's clean end.
                if (_h2 is null) return false;
                _parser!.EndOfBody();
                return true;
            }
            _parser!.Feed(data.Span);
            if (_parser.Ended) return true;
            if (_superseded) return false;
        }
    }

    /// <summary>As EventSource: wait the announced delay, then GET the stream again with Last-Event-ID; false when that failed.</summary>
    private async Task<bool> ReconnectAsync()
    {
        Interlocked.Increment(ref Counters.Reconnects);
        try
        {
            await Task.Delay(TimeSpan.FromMilliseconds(_parser?.RetryMs ?? _reconnectMs), Context.Stop);
            int status = await OpenStreamAsync(resume: true, Context.Stop);
            if (status == (int)HttpStatusCode.OK) return true;
            Error($"the stream ended during the run and its reconnect (Last-Event-ID: {LastEventId}) answered {status}: {Shorten(_h2 is null ? _stream!.Body : _lastBody)}");
        }
        catch (OperationCanceledException) when (Context.Stop.IsCancellationRequested)
        {
            // The window ended while the stream was down; the DELETE follows.
        }
        catch (Exception ex) when (ex is IOException or SocketException or HttpRequestException)
        {
            Error($"the stream ended during the run and could not be opened again: {ex.Message}");
        }
        return false;
    }

    private void OnEvent(SseEvent e)
    {
        if (!e.IsMessage)
        {
            // Heartbeats keep the stream alive and are not messages; "superseded" means another GET took over.
            if (e.Type.SequenceEqual("superseded"u8)) _superseded = true;
            return;
        }
        if (!e.HasId || !Utf8Parser.TryParse(e.LastEventId, out long id, out int used) || used != e.LastEventId.Length)
        {
            Error("a message event had no numeric id: field");
            return;
        }
        // The ids are the session log's numbers: a repeat or a gap is the transport's fault. The message still goes on,
        // so the client's own check counts it as lost or duplicated as every transport's client does.
        long expected = _eventIds.Last + 1;
        if (!_eventIds.Observe(id)) Error(id < expected ? "an event id arrived twice or out of order" : "event ids were skipped");
        if (id > LastEventId) Interlocked.Exchange(ref _lastEventId, id); // Last-Event-ID and acks never go back
        _sink!.OnMessage(e.Data);
        if (Kind == SessionKind.Push && --_untilAck == 0)
        {
            _untilAck = AckEvery;
            Acknowledge();
        }
    }

    /// <summary>The connection for sends, acks and the DELETE; opened on first use.</summary>
    private RawHttpConnection Requests => _requests ??= new RawHttpConnection(Context.BaseUri, Context.Traffic, Context.Spec.Stack.Tls);

    /// <summary>
    /// <c>POST /sse/{id}?seq=N&amp;ack=M</c> (one in flight, as the protocol requires; <c>ack=</c> acknowledges the events
    /// processed so far, so the backlog never grows); the reply arrives as an event on the stream.
    /// </summary>
    public override async ValueTask<bool> SendAsync(long sequence, ReadOnlyMemory<byte> message) =>
        await SendMessageAsync(sequence, message, Context.Abort) == (int)HttpStatusCode.Accepted;

    /// <summary><c>POST /sse/{id}?seq=N&amp;ack=M</c> with a text body; the status (202 when accepted).</summary>
    private async ValueTask<int> SendMessageAsync(long seq, ReadOnlyMemory<byte> body, CancellationToken cancel)
    {
        if (_h2 is { } h2)
        {
            var (code, answer) = await h2.SendAsync(h2.Post($"/sse/{SessionId}?seq={seq}&ack={LastEventId}", body), cancel);
            Interlocked.Increment(ref Counters.Requests);
            if (code != (int)HttpStatusCode.Accepted) Error($"POST /sse/{{id}}?seq= answered {code}: {Shorten(answer)}");
            return code;
        }
        var c = Requests;
        c.Begin("POST /sse/"u8).Append(_sessionId).Append("?seq="u8).Append(seq).Append("&ack="u8).Append(LastEventId).EndRequestLine()
            .Append(Heads.Post).Append("Content-Length: "u8).Append(body.Length).Append("\r\n"u8).Append(Heads.TextContentType).Append("\r\n"u8)
            .Append(body.Span);
        int status = await c.SendPreparedAsync(cancel);
        Interlocked.Increment(ref Counters.Requests);
        if (status != (int)HttpStatusCode.Accepted) Error($"POST /sse/{{id}}?seq= answered {status}: {Shorten(c.Body)}");
        return status;
    }

    /// <summary>
    /// Starts <c>POST /sse/{id}/ack?lastEventId=N</c> for what has been processed, unless one is still in flight (the
    /// next covers it). Runs beside the stream, so the stream's reading never waits for it.
    /// </summary>
    private void Acknowledge()
    {
        lock (_requestGate)
        {
            if (_closing || _ack is { IsCompleted: false }) return;
            _ack = AckAsync(LastEventId);
        }
    }

    private async Task AckAsync(long upTo)
    {
        try
        {
            if (_h2 is { } h2)
            {
                var (code, answer) = await h2.SendAsync(h2.Post($"/sse/{SessionId}/ack?lastEventId={upTo}", null), Context.Abort);
                Interlocked.Increment(ref Counters.Requests);
                if (code != (int)HttpStatusCode.NoContent) Error($"POST /sse/{{id}}/ack answered {code}: {Shorten(answer)}");
                return;
            }
            var c = Requests;
            c.Begin("POST /sse/"u8).Append(_sessionId).Append("/ack?lastEventId="u8).Append(upTo).EndRequestLine()
                .Append(Heads.Post).Append("Content-Length: 0\r\n\r\n"u8);
            int status = await c.SendPreparedAsync(Context.Abort);
            Interlocked.Increment(ref Counters.Requests);
            if (status != (int)HttpStatusCode.NoContent) Error($"POST /sse/{{id}}/ack answered {status}: {Shorten(c.Body)}");
            // One ack per 100 events is one per 100 s at 1 msg/s: the server's keep-alive timeout (60 s) would close
            // the connection before the next anyway, so it is closed now rather than held (same bytes, half the sockets).
            await c.CloseConnectionAsync();
        }
        catch (Exception ex) when (ex is IOException or SocketException or InvalidDataException or OperationCanceledException or HttpRequestException)
        {
            Error($"POST /sse/{{id}}/ack failed: {ex.Message}");
        }
    }

    /// <summary>After the window: the last ack finishes, DELETE ends the session and with it the stream, which is read to its last chunk.</summary>
    private async Task EndSessionAsync(Task reading)
    {
        Task? ack;
        lock (_requestGate)
        {
            _closing = true;
            ack = _ack;
        }
        if (ack is not null) await ack;
        bool gated = false;
        try
        {
            await Context.CloseGate.WaitAsync(Context.Abort);
            gated = true;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Context.Abort);
            timeout.CancelAfter(CloseTimeout);
            if (_h2 is { } h2)
            {
                var (code, answer) = await h2.SendAsync(h2.Delete($"/sse/{SessionId}"), timeout.Token);
                Interlocked.Increment(ref Counters.Requests);
                if (code == (int)HttpStatusCode.NoContent || reading.IsCompleted) return;
                Error($"DELETE /sse/{{id}} answered {code}: {Shorten(answer)}");
                return;
            }
            var c = Requests;
            c.Begin("DELETE /sse/"u8).Append(_sessionId).EndRequestLine().Append(Heads.Post).Append("\r\n"u8);
            int status = await c.SendPreparedAsync(timeout.Token);
            Interlocked.Increment(ref Counters.Requests);
            await c.CloseConnectionAsync();
            if (status == (int)HttpStatusCode.NoContent || reading.IsCompleted) return;
            Error($"DELETE /sse/{{id}} answered {status}: {Shorten(c.Body)}");
        }
        catch (Exception ex) when (ex is IOException or SocketException or InvalidDataException or OperationCanceledException or HttpRequestException)
        {
            if (reading.IsCompleted) return;
            Error($"DELETE /sse/{{id}} failed: {ex.Message}");
        }
        finally
        {
            if (gated) Context.CloseGate.Release();
        }
        // The stream will not end by itself now: closing its socket (or resetting its HTTP/2 stream) ends the read loop.
        _stream?.Abort();
        _h2?.Abort();
    }

    public override async Task CloseAsync()
    {
        if (_requests is not null) await _requests.DisposeAsync();
        if (_stream is not null) await _stream.DisposeAsync();
        _h2?.Abort();
        // The parsers' counts stay readable for the accounting; only their buffers go back to the pool.
        foreach (var s in _streams) s.Parser.Dispose();
    }
}
