using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Threading.Channels;
using PushCompare.UnitTests.Infrastructure;
using Xunit.Abstractions;

namespace PushCompare.UnitTests.AnyTransport;

/// <summary>The transports a <see cref="TransportHopper"/> moves its session between.</summary>
public enum Hop
{
    WebSocket,
    Sse,
    LongPoll,
}

/// <summary>
/// One client of one session that moves the session between transports the way an auto client does: the new reader
/// starts from the last message processed (its cursor supersedes the old reader on the server), messages whose number
/// was processed already are dropped, and unconfirmed sends are resent in order on the new transport (the server
/// de-duplicates them by <c>seq</c>). It also resumes when its transport drops (an instance killed): reads again from
/// its cursor, resends from what the server says it expects. Every message it processes is kept, in order, so a test
/// can check that nothing was lost, duplicated or reordered.
/// </summary>
public sealed class TransportHopper(Uri address, string topic, ITestOutputHelper output) : IAsyncDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
    private readonly Lock _gate = new();
    private readonly List<string> _processed = [];
    private readonly SortedDictionary<long, string> _unconfirmed = []; // seq → text, until k or 202
    private readonly Channel<string> _toSend = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SemaphoreSlim _sendTurn = new(1, 1); // a send, or a switch with its resends: one at a time, in seq order
    private readonly CancellationTokenSource _done = new();
    private long _last;        // the number of the last message processed
    private long _nextSeq = 1;
    private int _pushed;       // pushed messages processed
    private Hop _hop;
    private ReaderRun? _reader;
    private ClientWebSocket? _socket; // the current WebSocket, in WebSocket hops

    public string Id { get; private set; } = "";

    private void Log(string line) => output.WriteLine(line);

    /// <summary>Messages received again (a number already processed), dropped: resends, not duplicates.</summary>
    public int Resent { get; private set; }

    /// <summary>Numbers that skipped ahead of the last processed (each is a lost message).</summary>
    public List<string> Gaps { get; } = [];

    /// <summary>Transport drops the hopper recovered from (a failed request, a stream or socket that ended unasked).</summary>
    public int Recoveries;

    /// <summary>A pushed message is processed: the publisher may publish one more.</summary>
    public SemaphoreSlim PushWindow { get; } = new(20);

    /// <summary>Every fifth pushed message processed, the hopper sends one message of its own.</summary>
    public const int SendEvery = 5;

    public IReadOnlyList<string> Processed
    {
        get { lock (_gate) return [.. _processed]; }
    }

    public int UnconfirmedCount
    {
        get { lock (_gate) return _unconfirmed.Count; }
    }

    public int ProcessedCount
    {
        get { lock (_gate) return _processed.Count; }
    }

    /// <summary>Opens the session on a WebSocket (<c>session=new</c>, subscribed to the topic) and starts reading and sending.</summary>
    public async Task StartAsync(CancellationToken cancel)
    {
        _hop = Hop.WebSocket;
        var opened = await AttachSocketAsync($"?session=new&echo=exact&topic={topic}");
        Id = opened.Id;
        _reader = new ReaderRun(this, Hop.WebSocket);
        _reader.Start(ct => SocketLoopAsync(opened.Socket, ct), cancel);
        _ = SendLoopAsync(cancel);
    }

    /// <summary>Moves the session to <paramref name="hop"/>: the new reader supersedes the old one, unconfirmed sends are resent on it.</summary>
    public async Task SwitchAsync(Hop hop, CancellationToken cancel)
    {
        // The reader moves first, while sends are in flight on the old transport; then the sends follow it.
        var old = _reader!;
        old.Retire(); // it ends when superseded; it no longer resumes by itself
        var next = new ReaderRun(this, hop);
        long cursor;
        lock (_gate) cursor = _last;
        output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} switch {old.Hop} -> {hop} at message {cursor}: {Describe()}");
        var loop = await OpenReaderAsync(hop, cancel);
        _reader = next; // before it starts: a poll loop reads only while it is the current reader
        next.Start(loop, cancel);
        await _sendTurn.WaitAsync(cancel);
        try
        {
            _hop = hop;
            await ResendAsync(cancel);
        }
        finally
        {
            _sendTurn.Release();
        }
        await old.Ended.Within($"the {old.Hop} reader ends, superseded", TimeSpan.FromSeconds(30));
    }

    /// <summary>Where the run stands, for the test's output.</summary>
    public string Describe()
    {
        lock (_gate)
            return $"{_processed.Count} processed (last {_last}, {_pushed} pushed), sends {_nextSeq - 1} made, unconfirmed [{string.Join(",", _unconfirmed.Keys)}], " +
                   $"{Resent} resends dropped, {Recoveries} recoveries, reading on {_reader?.Hop}, sending on {_hop}";
    }

    /// <summary>Completes once <paramref name="count"/> messages were processed.</summary>
    public Task ProcessedAtLeast(int count)
    {
        lock (_gate)
        {
            if (_processed.Count >= count) return Task.CompletedTask;
            var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waits.Add((count, reached));
            return reached.Task;
        }
    }

    private readonly List<(int Count, TaskCompletionSource Reached)> _waits = [];

    // ---- reading ----

    // A reader of the session on `hop` from the last message processed, its request made (retried while an instance is dying under it).
    private async Task<Func<CancellationToken, Task>> OpenReaderAsync(Hop hop, CancellationToken cancel)
    {
        while (true)
        {
            long cursor;
            lock (_gate) cursor = _last;
            try
            {
                switch (hop)
                {
                    case Hop.WebSocket:
                        var opened = await AttachSocketAsync($"?session={Id}&cursor={cursor}");
                        return ct => SocketLoopAsync(opened.Socket, ct);
                    case Hop.Sse:
                        var stream = await OpenStreamAsync(cursor, cancel);
                        return ct => StreamLoopAsync(stream, ct);
                    default:
                        return PollLoopAsync;
                }
            }
            catch (Exception ex) when (ex is WebSocketException or HttpRequestException or IOException)
            {
                output.WriteLine($"opening a {hop} reader failed ({ex.Message}); again");
                await RecoverAsync(cancel);
            }
        }
    }

    private void Process(long n, string text)
    {
        bool send = false;
        lock (_gate)
        {
            if (n <= _last)
            {
                Resent++;
                return;
            }
            if (n != _last + 1) Gaps.Add($"{_last} -> {n}");
            _last = n;
            _processed.Add(text);
            foreach (var wait in _waits.Where(w => _processed.Count >= w.Count).ToList())
            {
                wait.Reached.TrySetResult();
                _waits.Remove(wait);
            }
            if (text.StartsWith('p'))
            {
                send = ++_pushed % SendEvery == 0;
                PushWindow.Release();
            }
        }
        if (send) _toSend.Writer.TryWrite($"c{_pushed / SendEvery}");
    }

    private async Task<(string Id, ClientWebSocket Socket)> AttachSocketAsync(string query)
    {
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(SessionSocketClient.WebSocketUri(_http.BaseAddress!, query), new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
        string first = await ReceiveTextAsync(socket) ?? throw new InvalidOperationException("the socket closed before its o frame");
        using var opened = System.Text.Json.JsonDocument.Parse(first[1..]);
        long expected = opened.RootElement.GetProperty("expectedSeq").GetInt64();
        lock (_gate)
        {
            // Sends below expectedSeq were accepted (their k or 202 was lost with the old transport): confirmed now.
            foreach (long seq in _unconfirmed.Keys.Where(s => s < expected).ToList()) _unconfirmed.Remove(seq);
        }
        _socket = socket;
        return (opened.RootElement.GetProperty("id").GetString()!, socket);
    }

    private async Task SocketLoopAsync(ClientWebSocket socket, CancellationToken cancel)
    {
        using var _ = socket;
        int sinceAck = 0;
        while (await ReceiveTextAsync(socket, cancel) is { } frame)
        {
            if (frame[0] == 'm')
            {
                int space = frame.IndexOf(' ');
                Process(long.Parse(frame.AsSpan(1, space - 1)), frame[(space + 1)..]);
                if (++sinceAck >= 50)
                {
                    sinceAck = 0;
                    long last;
                    lock (_gate) last = _last;
                    // Read before the check: a switch retires this reader before it takes its cursor, so an ack sent
                    // here is never past where the newer reader starts (which would make its cursor "behind").
                    if (_reader is { Hop: Hop.WebSocket, Retired: false }) await SendFrameAsync(socket, $"a{last}", cancel);
                }
            }
            else if (frame[0] == 'k')
            {
                Confirm(long.Parse(frame.AsSpan(1)));
            }
        }
        if (socket.State == WebSocketState.CloseReceived) await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cancel);
        if (socket.CloseStatus != (WebSocketCloseStatus)4000) throw new IOException($"the socket closed with {socket.CloseStatus} {socket.CloseStatusDescription}");
    }

    private async Task<EventStream> OpenStreamAsync(long cursor, CancellationToken cancel)
    {
        while (true)
        {
            var (response, stream) = await EventStream.TryOpenAsync(_http, Id, cursor.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (stream is not null) return stream;
            Assert.True(response.StatusCode is HttpStatusCode.ServiceUnavailable or HttpStatusCode.BadGateway, $"GET /sse/{Id} answered {response.StatusCode}");
            await RecoverAsync(cancel);
        }
    }

    private async Task StreamLoopAsync(EventStream stream, CancellationToken cancel)
    {
        await using var _ = stream;
        while (await stream.NextAsync(TimeSpan.FromSeconds(30)) is { } e)
        {
            if (e.Type == "superseded") return;
            if (e.Type == "message") Process(long.Parse(e.Id!), e.Data);
        }
        throw new IOException("the stream ended without being superseded");
    }

    private async Task PollLoopAsync(CancellationToken cancel)
    {
        // A retired poll loop asks no more: a poll acknowledges its cursor, which may be past where the newer reader starts.
        while (_reader is { Hop: Hop.LongPoll, Retired: false })
        {
            long cursor;
            lock (_gate) cursor = _last;
            using var response = await _http.GetAsync($"/poll/{Id}?cursor={cursor}", cancel);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                var batch = await PollingClient.ReadBatchAsync(response);
                for (int i = 0; i < batch.Messages.Length; i++) Process(batch.Cursor - batch.Messages.Length + 1 + i, batch.Messages[i]);
            }
            else if (response.StatusCode != HttpStatusCode.NoContent) // 204: nothing within the wait, or superseded
            {
                Assert.True(response.StatusCode is HttpStatusCode.ServiceUnavailable or HttpStatusCode.BadGateway, $"a poll answered {response.StatusCode}");
                await RecoverAsync(cancel);
            }
        }
    }

    // ---- sending ----

    private async Task SendLoopAsync(CancellationToken cancel)
    {
        try
        {
            while (await _toSend.Reader.WaitToReadAsync(cancel))
            {
                while (_toSend.Reader.TryRead(out var text))
                {
                    await _sendTurn.WaitAsync(cancel);
                    try
                    {
                        long seq;
                        lock (_gate)
                        {
                            seq = _nextSeq++;
                            _unconfirmed[seq] = text;
                        }
                        await SendAsync(seq, text, cancel);
                    }
                    finally
                    {
                        _sendTurn.Release();
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The run is over.
        }
    }

    // After a switch: every unconfirmed send again, in order, on the new transport.
    private async Task ResendAsync(CancellationToken cancel)
    {
        List<KeyValuePair<long, string>> pending;
        lock (_gate) pending = [.. _unconfirmed];
        foreach (var (seq, text) in pending) await SendAsync(seq, text, cancel);
    }

    private async Task SendAsync(long seq, string text, CancellationToken cancel)
    {
        if (_hop == Hop.WebSocket)
        {
            try
            {
                await SendFrameAsync(_socket!, $"s{seq} {text}", cancel);
            }
            catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or InvalidOperationException)
            {
                // The socket dropped: its reader reattaches and resends from the server's expectedSeq.
            }
            return;
        }
        string path = _hop == Hop.Sse ? "/sse" : "/poll";
        while (true)
        {
            HttpResponseMessage? response = null;
            try
            {
                response = await _http.PostAsync($"{path}/{Id}?seq={seq}", new StringContent(text, Encoding.UTF8, "text/plain"), cancel);
                if (response.StatusCode == HttpStatusCode.Accepted)
                {
                    Confirm(seq);
                    return;
                }
                Assert.True(response.StatusCode is HttpStatusCode.ServiceUnavailable or HttpStatusCode.BadGateway,
                    $"POST {path}/{{id}}?seq={seq} answered {response.StatusCode}: {await response.Content.ReadAsStringAsync(cancel)}");
            }
            catch (HttpRequestException)
            {
                // An instance died under the request: sent again with the same seq, accepted once.
            }
            finally
            {
                response?.Dispose();
            }
            await RecoverAsync(cancel);
        }
    }

    private void Confirm(long seq)
    {
        lock (_gate) _unconfirmed.Remove(seq);
    }

    // A WebSocket takes one send at a time: the sender's s frames and the reader's a frames take turns.
    private readonly SemaphoreSlim _frameTurn = new(1, 1);

    private async Task SendFrameAsync(WebSocket socket, string frame, CancellationToken cancel)
    {
        await _frameTurn.WaitAsync(cancel);
        try
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes(frame), WebSocketMessageType.Text, endOfMessage: true, cancel);
        }
        finally
        {
            _frameTurn.Release();
        }
    }

    private static async Task<string?> ReceiveTextAsync(WebSocket socket, CancellationToken cancel = default)
    {
        var data = new MemoryStream();
        var buffer = new byte[4096];
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, cancel);
            if (result.MessageType == WebSocketMessageType.Close) return null;
            data.Write(buffer, 0, result.Count);
            if (result.EndOfMessage) return Encoding.UTF8.GetString(data.ToArray());
        }
    }

    // A client's backoff before it tries again after a failure (a real client's retry delay, not a wait for an event).
    private async Task RecoverAsync(CancellationToken cancel)
    {
        Interlocked.Increment(ref Recoveries);
        await Task.Delay(100, cancel);
    }

    /// <summary>
    /// One reader of the session on one transport: it runs until superseded (after <see cref="Retire"/>, that is its
    /// end); a drop before that (an instance killed under it) resumes it on the same transport from the cursor.
    /// </summary>
    private sealed class ReaderRun(TransportHopper owner, Hop hop)
    {
        private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private volatile bool _retired;

        public Hop Hop => hop;
        public bool Retired => _retired;
        public Task Ended => _ended.Task;

        public void Retire() => _retired = true;

        public void Start(Func<CancellationToken, Task> first, CancellationToken cancel) => _ = RunAsync(first, cancel);

        private async Task RunAsync(Func<CancellationToken, Task>? loop, CancellationToken cancel)
        {
            while (true)
            {
                try
                {
                    if (loop is null && _retired) break; // dropped, then a switch moved on: nothing left to resume
                    loop ??= await owner.ResumeAsync(hop, cancel);
                    await loop(cancel);
                    if (_retired) break;
                    // Superseded while still the current reader: a request of the previous reader that was on its way
                    // when the switch began (a poll sent just before it) reached the server after this reader took over.
                    // A client resumes, as after a drop; the stale request answered what it read, and nothing is lost.
                    owner.Log($"{hop} reader superseded by a late request of the previous reader; resuming from the cursor");
                    Interlocked.Increment(ref owner.Recoveries);
                    loop = null;
                    continue;
                }
                catch (Exception ex) when (!cancel.IsCancellationRequested && !_retired && ex is IOException or HttpRequestException or WebSocketException
                                               or Xunit.Sdk.XunitException or OperationCanceledException)
                {
                    owner.Log($"{DateTime.UtcNow:HH:mm:ss.fff} {hop} reader dropped ({ex.GetType().Name}: {ex.Message}); resuming from the cursor");
                    Interlocked.Increment(ref owner.Recoveries);
                    loop = null;
                }
                catch (Exception ex)
                {
                    if (_retired || cancel.IsCancellationRequested) _ended.TrySetResult(); // ended with its transport, superseded or not
                    else _ended.TrySetException(ex);
                    return;
                }
            }
            _ended.TrySetResult();
        }
    }

    // The same transport again, from the cursor: what a client does when its transport drops.
    private async Task<Func<CancellationToken, Task>> ResumeAsync(Hop hop, CancellationToken cancel)
    {
        await _sendTurn.WaitAsync(cancel);
        try
        {
            await Task.Delay(100, cancel); // a client's reconnect delay
            var loop = await OpenReaderAsync(hop, cancel);
            if (hop == Hop.WebSocket) await ResendAsync(cancel); // from the o frame's expectedSeq: the rest were confirmed by it
            return loop;
        }
        finally
        {
            _sendTurn.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _done.CancelAsync();
        _http.Dispose();
    }
}
