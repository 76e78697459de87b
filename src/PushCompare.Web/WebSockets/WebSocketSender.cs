using System.Net.WebSockets;

namespace PushCompare.Web.WebSockets;

/// <summary>
/// Sends on one WebSocket, which allows one send at a time: replies, pushed messages and the close frame take turns on
/// a lock, each whole. Every send waits at most <c>WebSockets:SendTimeout</c> for room in the connection's buffers: a
/// send stuck that long has a peer that stopped reading, and would otherwise hold the lock (and every other send of the
/// connection) until the keep-alive gave up. The connection is then reset: the peer reads nothing, so a close frame
/// could not reach it.
/// </summary>
/// <param name="resetConnection">Resets the TCP connection: for a peer that no longer reads.</param>
internal sealed class WebSocketSender(WebSocket socket, TimeSpan sendTimeout, TimeProvider time, Action resetConnection, ILogger logger) : IDisposable
{
    private readonly SemaphoreSlim _lock = new(1, 1);

    // Armed only while a send waits for room in the connection's buffers (a synchronous send costs no timer).
    private ITimer? _bound;
    private int _waiting;

    /// <summary>Our side may send while the socket is open or the peer has started closing; otherwise nothing is sent.</summary>
    private bool CanSend => socket.State is WebSocketState.Open or WebSocketState.CloseReceived;

    /// <summary>Sends one whole message; false when the socket can no longer send (nothing was sent).</summary>
    public async ValueTask<bool> SendAsync(ReadOnlyMemory<byte> message, WebSocketMessageType type, CancellationToken cancel)
    {
        await _lock.WaitAsync(CancellationToken.None);
        try
        {
            if (!CanSend) return false;
            await BoundedAsync(socket.SendAsync(message, type, endOfMessage: true, cancel));
            return true;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Sends our close frame, never in the middle of a message; false when the socket can no longer send.</summary>
    public async ValueTask<bool> CloseOutputAsync(WebSocketCloseStatus status, string? reason, CancellationToken cancel)
    {
        await _lock.WaitAsync(CancellationToken.None);
        try
        {
            if (!CanSend) return false;
            await BoundedAsync(new ValueTask(socket.CloseOutputAsync(status, reason, cancel)));
            return true;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>
    /// Waits for a send, at most the send timeout; then the connection is reset, which cancels the send (its token
    /// follows the request) and so ends the session.
    /// </summary>
    private async ValueTask BoundedAsync(ValueTask send)
    {
        if (send.IsCompleted)
        {
            await send; // the usual case: the bytes fit in the buffers
            return;
        }
        _bound ??= time.CreateTimer(static s => ((WebSocketSender)s!).OnTimedOut(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        Volatile.Write(ref _waiting, 1);
        _bound.Change(sendTimeout, Timeout.InfiniteTimeSpan);
        try
        {
            await send;
        }
        catch (OperationCanceledException)
        {
            // Cancelled while its bytes were stuck (the session ending, a close that timed out): a FIN would queue behind
            // them, so reset. (The framework's middleware would reset too, as the cancel aborts its WebSocket; not relied on.)
            resetConnection();
            throw;
        }
        finally
        {
            Volatile.Write(ref _waiting, 0);
            _bound.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
    }

    private void OnTimedOut()
    {
        if (Volatile.Read(ref _waiting) == 0) return; // the send completed as the timer fired
        Log.SendTimedOut(logger, sendTimeout);
        resetConnection();
    }

    public void Dispose() => _bound?.Dispose();
}
