namespace PushCompare.Bench.Running;

/// <summary>
/// Drives open-loop WebSocket senders: one loop per core wakes every millisecond and lets each of its clients send
/// every message due by then. One timer per core instead of one per client keeps the client's own CPU low at
/// 100k+ messages/s (50 per-client 1 ms timers would cost 50,000 wake-ups a second).
/// </summary>
internal sealed class Pacer
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(1);
    private readonly List<Func<ValueTask<bool>>>[] _groups;
    private readonly Lock _gate = new();
    private Task? _running;

    public Pacer(int workers)
    {
        _groups = new List<Func<ValueTask<bool>>>[Math.Max(1, workers)];
        for (int i = 0; i < _groups.Length; i++) _groups[i] = [];
    }

    /// <summary>Adds a client before the run starts; <paramref name="sendDue"/> sends what is due and returns false when the client is done.</summary>
    public void Add(int index, Func<ValueTask<bool>> sendDue)
    {
        lock (_gate) _groups[index % _groups.Length].Add(sendDue);
    }

    /// <summary>Starts the loops on the first call; every caller gets the same task, which ends when <paramref name="stop"/> fires.</summary>
    public Task RunAsync(CancellationToken stop)
    {
        lock (_gate)
        {
            return _running ??= Task.WhenAll(_groups.Select(g => Task.Run(() => WorkerAsync([.. g], stop))));
        }
    }

    private static async Task WorkerAsync(List<Func<ValueTask<bool>>> clients, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(Tick);
        try
        {
            while (!stop.IsCancellationRequested && clients.Count > 0)
            {
                for (int i = clients.Count - 1; i >= 0; i--)
                {
                    if (!await clients[i]()) clients.RemoveAt(i);
                }
                await timer.WaitForNextTickAsync(stop);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The window ended.
        }
    }
}
