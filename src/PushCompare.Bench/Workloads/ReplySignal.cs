using System.Threading.Tasks.Sources;

namespace PushCompare.Bench.Workloads;

/// <summary>
/// Wakes one waiter (a closed-loop sender) when a reply arrives, without allocating per wait as SemaphoreSlim's
/// WaitAsync does. The waiter's continuation runs on the receiving thread, as a send-then-receive loop would.
/// </summary>
internal sealed class ReplySignal : IValueTaskSource
{
    private const int Idle = 0, Signalled = 1, Waiting = 2;
    private ManualResetValueTaskSourceCore<bool> _core;
    private int _state;

    /// <summary>Completes at once when signalled since the last wait; otherwise at the next <see cref="Set"/>. One waiter at a time.</summary>
    public ValueTask WaitAsync()
    {
        if (Interlocked.CompareExchange(ref _state, Idle, Signalled) == Signalled) return ValueTask.CompletedTask;
        _core.Reset();
        if (Interlocked.CompareExchange(ref _state, Waiting, Idle) == Signalled)
        {
            Volatile.Write(ref _state, Idle);
            return ValueTask.CompletedTask;
        }
        return new ValueTask(this, _core.Version);
    }

    public void Set()
    {
        while (true)
        {
            int state = Volatile.Read(ref _state);
            if (state == Signalled) return;
            if (state == Waiting)
            {
                if (Interlocked.CompareExchange(ref _state, Idle, Waiting) != Waiting) continue;
                _core.SetResult(true);
                return;
            }
            if (Interlocked.CompareExchange(ref _state, Signalled, Idle) == Idle) return;
        }
    }

    void IValueTaskSource.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
