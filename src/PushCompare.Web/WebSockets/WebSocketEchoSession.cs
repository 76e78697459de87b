using System.Buffers;
using System.Net.WebSockets;
using System.Text;
using PushCompare.Web.Messaging;
using PushCompare.Web.Push;

namespace PushCompare.Web.WebSockets;

/// <summary>
/// One accepted WebSocket: reassembles each message (up to the size limit), answers it with the shared echo rule,
/// runs the optional push stream and completes the close handshake with the peer's own code. Framing, masking,
/// UTF-8 validation (1007) and pings are the framework's (ManagedWebSocket); nothing here touches frames.
/// </summary>
internal sealed class WebSocketEchoSession(WebSocket socket, ConnectOptions connect, int maxMessageBytes, TimeSpan closeTimeout,
    TimeProvider time, ILogger logger)
{
    // The message is received after this many free bytes so a prefixed reply is built in place, with no copy.
    private static readonly int Headroom = Echo.PrefixUtf8.Length;
    private const int InitialBuffer = 4096;

    // A WebSocket allows one send at a time; echo replies, push ticks and the shutdown close take turns.
    private readonly SemaphoreSlim _sendLock = new(1, 1);

    public async Task RunAsync(CancellationToken aborted, CancellationToken stopping)
    {
        using var onStopping = stopping.Register(() => _ = GoAwayAsync());
        if (connect.PushInterval is not { } interval)
        {
            await ReceiveLoopAsync(aborted); // no push: nothing else to start or stop (and nothing extra held while idle)
            return;
        }
        using var closed = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        Task push = TickStream.RunAsync(interval, time, SendTickAsync, closed.Token);
        try
        {
            await ReceiveLoopAsync(aborted);
        }
        finally
        {
            await closed.CancelAsync();
            await push;
        }
    }

    private async Task ReceiveLoopAsync(CancellationToken aborted)
    {
        byte[]? buffer = null;
        try
        {
            while (true)
            {
                // Wait for the next message with a zero-byte receive, holding no buffer: an idle connection costs no 4 KiB.
                var result = await socket.ReceiveAsync(Memory<byte>.Empty, aborted);
                int count = 0;
                if (result.MessageType != WebSocketMessageType.Close && !result.EndOfMessage)
                {
                    buffer = ArrayPool<byte>.Shared.Rent(Math.Min(InitialBuffer, Headroom + maxMessageBytes + 1));
                    do
                    {
                        if (Headroom + count == buffer.Length) buffer = Grow(buffer, count);
                        result = await socket.ReceiveAsync(buffer.AsMemory(Headroom + count), aborted);
                        count += result.Count;
                        if (count > maxMessageBytes)
                        {
                            Log.MessageTooBig(logger, maxMessageBytes);
                            await CloseAsync(WebSocketCloseStatus.MessageTooBig,
                                $"Message exceeds the {maxMessageBytes}-byte limit; split it or raise Messaging:MaxMessageBytes.", waitForPeer: true);
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
                        await CloseOutputLockedAsync(socket.CloseStatus ?? WebSocketCloseStatus.Empty, socket.CloseStatusDescription, aborted);
                    }
                    return;
                }

                long receivedAt = Metering.MessageMetering.Received(count);
                bool isText = result.MessageType == WebSocketMessageType.Text;
                int length = Echo.ReplyLength(count, isText, connect.Echo);
                buffer ??= ArrayPool<byte>.Shared.Rent(Headroom); // an empty message: room for the prefix only
                int start = Headroom + count - length;
                Echo.WriteReply(buffer.AsSpan(Headroom, count), isText, connect.Echo, buffer.AsSpan(start, length));
                if (await SendLockedAsync(buffer.AsMemory(start, length), result.MessageType, aborted))
                    Metering.MessageMetering.Delivered(length, receivedAt);
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = null;
            }
        }
        catch (WebSocketException ex)
        {
            // Peer vanished, sent invalid UTF-8 (the framework closes with 1007) or broke the protocol (1002).
            Log.ConnectionFailed(logger, ex.WebSocketErrorCode, ex.Message);
            if (ex.WebSocketErrorCode != WebSocketError.ConnectionClosedPrematurely) await LingerAsync(aborted);
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            // The request was aborted (client gone or server stopping); nothing left to answer.
        }
        finally
        {
            if (buffer is not null) ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// After a protocol or UTF-8 error the framework has sent its close frame (1002/1007) and aborted the socket.
    /// Returning at once would reset the TCP connection before the peer reads that frame, so wait until the peer
    /// hangs up or the close timeout passes.
    /// </summary>
    private async Task LingerAsync(CancellationToken peerGone)
    {
        try
        {
            await Task.Delay(closeTimeout, time, peerGone);
        }
        catch (OperationCanceledException)
        {
            // The peer closed the connection: nothing left to protect.
        }
    }

    private async ValueTask<bool> SendTickAsync(string tick)
    {
        long createdAt = Metering.MessageMetering.Now();
        byte[] bytes = Encoding.UTF8.GetBytes(tick);
        try
        {
            if (!await SendLockedAsync(bytes, WebSocketMessageType.Text, CancellationToken.None)) return false;
            Metering.MessageMetering.Delivered(bytes.Length, createdAt);
            return true;
        }
        catch (WebSocketException)
        {
            return false; // the receive loop reports the failure
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
            await socket.SendAsync(message, type, endOfMessage: true, cancel);
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
            await socket.CloseOutputAsync(status, reason, cancel);
            return true;
        }
        finally
        {
            _sendLock.Release();
        }
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

    /// <summary>Server shutdown: close with 1001 and give the peer the close timeout to answer before the connection is cut.</summary>
    private async Task GoAwayAsync()
    {
        await CloseAsync(WebSocketCloseStatus.EndpointUnavailable, "Server shutting down; reconnect in a moment.", waitForPeer: false);
        await Task.Delay(closeTimeout, time);
        if (socket.State == WebSocketState.CloseSent) socket.Abort();
    }

    /// <summary>Starts the close handshake; with <paramref name="waitForPeer"/> it also waits (bounded) for the peer's answer.</summary>
    private async Task CloseAsync(WebSocketCloseStatus status, string reason, bool waitForPeer)
    {
        using var timeout = new CancellationTokenSource(closeTimeout);
        try
        {
            if (!await CloseOutputLockedAsync(status, reason, timeout.Token) || !waitForPeer) return;
            // Discard what the peer still sends until its close frame arrives (RFC 6455 §7.1.1).
            byte[] sink = ArrayPool<byte>.Shared.Rent(4096);
            try
            {
                while (socket.State == WebSocketState.CloseSent)
                    await socket.ReceiveAsync(sink.AsMemory(), timeout.Token);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(sink);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
        {
            socket.Abort(); // The peer did not finish the close handshake in time.
        }
    }
}
