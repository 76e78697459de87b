namespace PushCompare.Web.WebSockets;

/// <summary>
/// Bounds each send of one WebSocket by <c>WebSockets:SendTimeout</c>: a send that cannot get its bytes into the
/// connection's buffers for that long has a peer that stopped reading, and would hold the send lock until the keep-alive
/// gave up. The connection is then reset (<paramref name="reset"/>): a peer that reads nothing cannot read a close frame.
/// The timer is made on the first send that has to wait, and armed only while one does (a synchronous send costs nothing).
/// </summary>
internal sealed class SendDeadline(TimeSpan timeout, TimeProvider time, Action reset, ILogger logger) : IDisposable
{
    private ITimer? _timer;
    private int _waiting;

    public async ValueTask WaitAsync(ValueTask send)
    {
        if (send.IsCompleted)
        {
            await send; // the usual case: the bytes fit in the buffers
            return;
        }
        _timer ??= time.CreateTimer(static s => ((SendDeadline)s!).OnTimedOut(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        Volatile.Write(ref _waiting, 1);
        _timer.Change(timeout, Timeout.InfiniteTimeSpan);
        try
        {
            await send;
        }
        catch (OperationCanceledException)
        {
            reset(); // cancelled while its bytes were stuck: a FIN would queue behind them
            throw;
        }
        finally
        {
            Volatile.Write(ref _waiting, 0);
            _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
    }

    private void OnTimedOut()
    {
        if (Volatile.Read(ref _waiting) == 0) return; // the send completed as the timer fired
        Log.SendTimedOut(logger, timeout);
        reset();
    }

    public void Dispose() => _timer?.Dispose();
}
