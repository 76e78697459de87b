using System.Threading.Channels;

namespace PushCompare.Bench.Running;

/// <summary>
/// Drives open-loop senders whose sends need no answer (WebSocket frames): one worker per core lets each of its clients send every message due, then
/// waits for the next tick. One ticking thread (Thread.Sleep(1), ~1.1 ms) wakes all workers: .NET timers follow
/// Environment.TickCount, which on Linux is the coarse clock (4 ms steps on a 250 Hz kernel, as here), and one
/// timer per client would also cost 1,000 wake-ups a second per client.
/// </summary>
internal sealed class Pacer
{
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

    /// <summary>Starts the ticks and workers on the first call; every caller gets the same task, which ends when <paramref name="stop"/> fires.</summary>
    public Task RunAsync(CancellationToken stop)
    {
        lock (_gate)
        {
            if (_running is not null) return _running;
            // A tick that finds its worker still busy is dropped: the worker catches up by time, not by ticks.
            var ticks = _groups.Select(_ => Channel.CreateBounded<bool>(new BoundedChannelOptions(1)
            {
                FullMode = BoundedChannelFullMode.DropWrite,
                SingleReader = true,
                SingleWriter = true,
            })).ToArray();
            var ticker = new Thread(() => Tick(ticks, stop)) { IsBackground = true, Name = "bench pacer" };
            ticker.Start();
            return _running = Task.WhenAll(_groups.Select((g, i) => Task.Run(() => WorkerAsync([.. g], ticks[i].Reader, stop))));
        }
    }

    private static void Tick(Channel<bool>[] ticks, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            Thread.Sleep(1);
            foreach (var tick in ticks) tick.Writer.TryWrite(true);
        }
        foreach (var tick in ticks) tick.Writer.TryComplete();
    }

    private static async Task WorkerAsync(List<Func<ValueTask<bool>>> clients, ChannelReader<bool> ticks, CancellationToken stop)
    {
        try
        {
            while (!stop.IsCancellationRequested && clients.Count > 0)
            {
                for (int i = clients.Count - 1; i >= 0; i--)
                {
                    if (!await clients[i]()) clients.RemoveAt(i);
                }
                await ticks.ReadAsync(stop);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException && stop.IsCancellationRequested)
        {
            // The window ended.
        }
    }
}
