using System.Buffers;
using System.Net.WebSockets;
using System.Text;
using System.Threading.Channels;
using PushCompare.Web.Messaging;
using PushCompare.Metering;
using PushCompare.Web.Push;
using PushCompare.Web.Topics;

namespace PushCompare.Web.WebSockets;

/// <summary>
/// One accepted WebSocket: reassembles each message (up to the size limit), answers it with the shared echo rule,
/// runs the optional push stream, relays the broadcasts of the topic it subscribed to, and completes the close
/// handshake with the peer's own code. Framing, masking,
/// UTF-8 validation (1007) and pings are the framework's (ManagedWebSocket); nothing here touches frames.
/// </summary>
/// <param name="connection">The HTTP/1.1 connection under the socket; null when there is none to read (TestServer, HTTP/2).</param>
/// <param name="abortConnection">Resets the TCP connection: for a peer that no longer reads.</param>
internal sealed class WebSocketEchoSession(IRequestMetering metering, UpgradedConnection? connection, Action abortConnection, ConnectOptions connect,
    int maxMessageBytes, WebSocketEchoOptions options, ITopicBus topics, TimeProvider time, ILogger logger) : ILiveSubscriber
{
    // The message is received after this many free bytes so a prefixed reply is built in place, with no copy.
    private static readonly int Headroom = Echo.PrefixUtf8.Length;
    private const int InitialBuffer = 4096;

    private readonly TimeSpan _closeTimeout = options.CloseTimeout;
    private readonly TimeSpan _sendTimeout = options.SendTimeout;

    private WebSocket socket = null!; // accepted by RunAsync

    // A WebSocket allows one send at a time; echo replies, push ticks and the shutdown close take turns.
    private readonly SemaphoreSlim _sendLock = new(1, 1);

    // Cancelled when the request is aborted or when the server ends the connection itself (a close the peer never answered).
    private CancellationTokenSource _ending = null!;
    private Task? _goAway;

    // Armed only while a send waits for room in the connection's buffers (a synchronous send costs no timer).
    private ITimer? _sendBound;
    private int _sendWaiting;

    // Broadcasts waiting for the send lock (only with ?topic=): bounded, so a publisher never waits on this peer.
    private Channel<Broadcast>? _broadcasts;
    private int _refusing; // 1 once the relay ended or the peer fell behind: offers are refused from then on

    /// <summary>
    /// Accepts the upgrade and serves the socket until it closes: the receive loop, the push stream and the shutdown
    /// close. One async method on purpose, from the endpoint down: an idle socket keeps the state of every method
    /// awaiting its receive alive, so each level would cost memory per connection (docs/benchmarks.md).
    /// </summary>
    /// <param name="figures">The socket's figures lease, ended with the socket.</param>
    public async Task RunAsync(HttpContext context, IDisposable figures, OpenSockets open, CancellationToken stopping)
    {
        using var _ = figures;
        using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            KeepAliveInterval = options.KeepAliveInterval,
            KeepAliveTimeout = options.KeepAliveTimeout,
            // Negotiated only when the client offered permessage-deflate; otherwise the 101 carries no extension.
            DangerousEnableCompression = options.Compression.Enabled,
            ServerMaxWindowBits = options.Compression.ServerMaxWindowBits,
            DisableServerContextTakeover = options.Compression.DisableServerContextTakeover,
        });
        this.socket = socket;
        using var counted = open.Enter();
        Log.Opened(logger, connect.Echo);
        using var ending = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        _ending = ending;
        var onStopping = stopping.Register(static s => ((WebSocketEchoSession)s!).StartGoingAway(), this);
        Task? push = connect.PushInterval is { } interval ? TickStream.RunAsync(interval, time, SendTickAsync, ending.Token) : null;
        IDisposable? subscription = null;
        Task? relay = null;
        if (connect.Topic is { } topic)
        {
            _broadcasts = Channel.CreateBounded<Broadcast>(new BoundedChannelOptions(options.MaxQueuedBroadcasts) { SingleReader = true });
            relay = RelayBroadcastsAsync(_broadcasts.Reader, ending.Token);
            subscription = topics.SubscribeLive(topic, this);
        }
        byte[]? buffer = null;
        try
        {
            while (true)
            {
                // Wait for the next message with a zero-byte receive, holding no buffer: an idle connection costs no 4 KiB.
                var result = await socket.ReceiveAsync(Memory<byte>.Empty, ending.Token);
                int count = 0;
                if (result.MessageType != WebSocketMessageType.Close && !result.EndOfMessage)
                {
                    buffer = ArrayPool<byte>.Shared.Rent(Math.Min(InitialBuffer, Headroom + maxMessageBytes + 1));
                    do
                    {
                        if (Headroom + count == buffer.Length) buffer = Grow(buffer, count);
                        result = await socket.ReceiveAsync(buffer.AsMemory(Headroom + count), ending.Token);
                        count += result.Count;
                        if (count > maxMessageBytes)
                        {
                            Log.MessageTooBig(logger, maxMessageBytes);
                            await CloseAndWaitForPeerAsync(WebSocketCloseStatus.MessageTooBig,
                                $"Message exceeds the {maxMessageBytes}-byte limit; split it or raise Messaging:MaxMessageBytes.", ending.Token);
                            return;
                        }
                    }
                    while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);
                }

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    // Answer with the peer's own code (.NET reports a code-less close as 1000): RFC 6455 §5.5.1. If we closed first
                    // (shutdown), this is the peer's answer and the handshake is already complete.
                    if (socket.State == WebSocketState.CloseReceived)
                    {
                        await CloseOutputLockedAsync(socket.CloseStatus ?? WebSocketCloseStatus.Empty, socket.CloseStatusDescription, ending.Token);
                    }
                    return;
                }

                long receivedAt = metering.MessageReceived(count);
                bool isText = result.MessageType == WebSocketMessageType.Text;
                int length = Echo.ReplyLength(count, isText, connect.Echo);
                buffer ??= ArrayPool<byte>.Shared.Rent(Headroom); // an empty message: room for the prefix only
                int start = Headroom + count - length;
                Echo.WriteReply(buffer.AsSpan(Headroom, count), isText, connect.Echo, buffer.AsSpan(start, length));
                if (await SendLockedAsync(buffer.AsMemory(start, length), result.MessageType, ending.Token))
                    metering.MessageDelivered(length, receivedAt);
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = null;
            }
        }
        catch (WebSocketException ex)
        {
            // Peer vanished, sent invalid UTF-8 (the framework closes with 1007) or broke the protocol (1002).
            Log.ConnectionFailed(logger, ex.WebSocketErrorCode, ex.Message);
            if (ex.WebSocketErrorCode != WebSocketError.ConnectionClosedPrematurely) await EndAfterProtocolErrorAsync(ending.Token);
        }
        catch (OperationCanceledException)
        {
            // The request was aborted (client gone, a send timed out), the server ended the connection, or the framework
            // aborted its socket; nothing left to answer. (An exception escaping after the upgrade would reset the connection.)
        }
        finally
        {
            if (buffer is not null) ArrayPool<byte>.Shared.Return(buffer);
            // Stop everything that could still touch the socket before it is disposed: no new shutdown close can start once
            // the registration is gone, no broadcast arrives once unsubscribed, and the cancel stops the push timer, the
            // relay and a shutdown close still waiting for the peer.
            subscription?.Dispose();
            await onStopping.DisposeAsync();
            await ending.CancelAsync();
            if (push is not null) await push;
            if (relay is not null) await relay;
            if (_goAway is { } goAway) await goAway;
            _sendBound?.Dispose();
            Log.Closed(logger, socket.CloseStatus);
        }
    }

    private void StartGoingAway() => _goAway = GoAwayAsync();

    /// <summary>
    /// After a protocol or UTF-8 error the framework has sent its close frame (1002/1007) and given up on its WebSocket;
    /// an invalid close frame from the peer ends the same way. The TCP connection is ended at once, by returning: the
    /// stream is no longer at a frame boundary, so a close frame from the peer could not be found reliably, and a peer
    /// whose own close frame was the invalid one sends nothing more to wait for (docs/protocol.md, "How the server ends
    /// the TCP connection").
    /// </summary>
    private async Task EndAfterProtocolErrorAsync(CancellationToken ending)
    {
        if (connection?.Stream is not { } stream)
        {
            await LingerAsync(ending); // no stream to end: at least give the peer time to read the close frame
            return;
        }
        // Returning ends TCP with a FIN (Kestrel has read ahead what the peer sent); nothing may follow the close frame.
        connection.TakeOverEnd();
        stream.ShutWrites();
        Log.EndedAfterClose(logger, CloseOutcome.ProtocolError);
    }

    /// <summary>Without the upgraded stream (TestServer, HTTP/2) the bytes cannot be read: wait until the peer hangs up or the close timeout passes.</summary>
    private async Task LingerAsync(CancellationToken peerGone)
    {
        try
        {
            await Task.Delay(_closeTimeout, time, peerGone);
        }
        catch (OperationCanceledException)
        {
            // The peer closed the connection: nothing left to protect.
        }
    }

    private ValueTask<bool> SendTickAsync(string tick) => SendServerMessageAsync(Encoding.UTF8.GetBytes(tick), MessageMetering.Now());

    /// <summary>A message the server creates (a tick, a broadcast), created at <paramref name="createdAt"/>; false once the socket cannot send.</summary>
    private async ValueTask<bool> SendServerMessageAsync(byte[] bytes, long createdAt)
    {
        try
        {
            if (!await SendLockedAsync(bytes, WebSocketMessageType.Text, _ending.Token)) return false;
            metering.MessageDelivered(bytes.Length, createdAt);
            return true;
        }
        catch (WebSocketException)
        {
            return false; // the receive loop reports the failure
        }
    }

    /// <summary>
    /// Called by the publisher: queues the broadcast for <see cref="RelayBroadcastsAsync"/> and returns at once. A peer
    /// more than <c>MaxQueuedBroadcasts</c> behind (each send bounded by SendTimeout) is not keeping up: its connection
    /// is reset, once, so its client sees the loss (1006) and reconnects, rather than missing messages silently.
    /// </summary>
    public bool Offer(Broadcast message)
    {
        if (_broadcasts!.Writer.TryWrite(message)) return true;
        // Refused: the queue is full, or was completed (the relay ended, or this peer fell behind already).
        if (Interlocked.Exchange(ref _refusing, 1) == 1) return false;
        Log.FellBehind(logger, options.MaxQueuedBroadcasts);
        _broadcasts.Writer.TryComplete();
        abortConnection();
        return false;
    }

    // Sends queued broadcasts in order, taking turns with echo replies and ticks on the send lock.
    private async Task RelayBroadcastsAsync(ChannelReader<Broadcast> queue, CancellationToken ending)
    {
        try
        {
            while (await queue.WaitToReadAsync(ending))
            {
                while (queue.TryRead(out var message))
                {
                    if (!await SendServerMessageAsync(message.Utf8, message.PublishedAt)) return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The session ended (or its send timed out and the connection was reset).
        }
        finally
        {
            Volatile.Write(ref _refusing, 1);
            _broadcasts!.Writer.TryComplete(); // later offers are refused at once
        }
    }

    // Our side may send while the socket is open or the peer has started closing; false = nothing sent.
    private bool CanSend => socket.State is WebSocketState.Open or WebSocketState.CloseReceived;

    /// <summary>Sends one whole message while holding the send lock (no closure: this is the echo hot path).</summary>
    private async ValueTask<bool> SendLockedAsync(ReadOnlyMemory<byte> message, WebSocketMessageType type, CancellationToken cancel)
    {
        await _sendLock.WaitAsync(CancellationToken.None);
        try
        {
            if (!CanSend) return false;
            await BoundedAsync(socket.SendAsync(message, type, endOfMessage: true, cancel));
            return true;
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Sends our close frame while holding the send lock, so it never interleaves with a message.</summary>
    private async ValueTask<bool> CloseOutputLockedAsync(WebSocketCloseStatus status, string? reason, CancellationToken cancel)
    {
        await _sendLock.WaitAsync(CancellationToken.None);
        try
        {
            if (!CanSend) return false;
            await BoundedAsync(new ValueTask(socket.CloseOutputAsync(status, reason, cancel)));
            return true;
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>
    /// Waits for a send, at most <c>SendTimeout</c>: a send that cannot get its bytes into the connection's buffers for
    /// that long has a peer that stopped reading, and would otherwise hold the send lock (and the handler) until the
    /// keep-alive gave up. The connection is then reset: the peer reads nothing, so a close frame could not reach it.
    /// The reset cancels the send (its token follows the request), which ends the session.
    /// </summary>
    private async ValueTask BoundedAsync(ValueTask send)
    {
        if (send.IsCompleted)
        {
            await send; // the usual case: the bytes fit in the buffers
            return;
        }
        _sendBound ??= time.CreateTimer(static s => ((WebSocketEchoSession)s!).OnSendTimedOut(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        Volatile.Write(ref _sendWaiting, 1);
        _sendBound.Change(_sendTimeout, Timeout.InfiniteTimeSpan);
        try
        {
            await send;
        }
        catch (OperationCanceledException)
        {
            // Cancelled while its bytes were stuck (the session ending, a close that timed out): a FIN would queue behind
            // them, so reset. (The framework's middleware would reset too, as the cancel aborts its WebSocket; not relied on.)
            abortConnection();
            throw;
        }
        finally
        {
            Volatile.Write(ref _sendWaiting, 0);
            _sendBound.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
    }

    private void OnSendTimedOut()
    {
        if (Volatile.Read(ref _sendWaiting) == 0) return; // the send completed as the timer fired
        Log.SendTimedOut(logger, _sendTimeout);
        abortConnection();
    }

    private byte[] Grow(byte[] buffer, int count)
    {
        // Capacity never exceeds limit + 1, so the byte past the limit is what reveals an oversize message.
        int capacity = Headroom + Math.Min(maxMessageBytes + 1, Math.Max(count * 2, InitialBuffer));
        byte[] larger = ArrayPool<byte>.Shared.Rent(capacity);
        buffer.AsSpan(Headroom, count).CopyTo(larger.AsSpan(Headroom));
        ArrayPool<byte>.Shared.Return(buffer);
        return larger;
    }

    /// <summary>
    /// Server shutdown: close with 1001. The receive loop reads (and drops) what the peer still sends until its close
    /// frame and then returns, which ends TCP; a peer that has not answered within the close timeout is ended the same way.
    /// </summary>
    private async Task GoAwayAsync()
    {
        var ending = _ending.Token;
        try
        {
            if (!await CloseOutputLockedAsync(WebSocketCloseStatus.EndpointUnavailable, "Server shutting down; reconnect in a moment.", ending)) return;
            connection?.TakeOverEnd();
            await Task.Delay(_closeTimeout, time, ending);
            Log.EndedAfterClose(logger, CloseOutcome.TimedOut);
            await _ending.CancelAsync();
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
        {
            // The session ended (the peer answered, or went away) or the connection failed; the receive loop reports it.
        }
    }

    /// <summary>Closes with <paramref name="status"/> and drops what the peer sends until its close frame, at most the close timeout.</summary>
    private async Task CloseAndWaitForPeerAsync(WebSocketCloseStatus status, string reason, CancellationToken ending)
    {
        using var timeout = new CancellationTokenSource(_closeTimeout, time);
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(ending, timeout.Token);
        var outcome = CloseOutcome.PeerClosed;
        try
        {
            if (!await CloseOutputLockedAsync(status, reason, bound.Token)) return;
            connection?.TakeOverEnd();
            byte[] sink = ArrayPool<byte>.Shared.Rent(InitialBuffer);
            try
            {
                while (socket.State == WebSocketState.CloseSent)
                    await socket.ReceiveAsync(sink.AsMemory(), bound.Token);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(sink);
            }
        }
        catch (OperationCanceledException)
        {
            outcome = CloseOutcome.TimedOut;
        }
        catch (WebSocketException ex)
        {
            // The peer hung up, or broke the protocol after our close (a frame the framework cannot skip): nothing to wait for.
            outcome = ex.WebSocketErrorCode == WebSocketError.ConnectionClosedPrematurely ? CloseOutcome.PeerHungUp : CloseOutcome.ProtocolError;
        }
        Log.EndedAfterClose(logger, outcome);
    }
}
