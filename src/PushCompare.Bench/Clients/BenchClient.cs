using System.Diagnostics;
using PushCompare.Bench.Running;

namespace PushCompare.Bench.Clients;

/// <summary>One simulated user: connects, then runs its loops until the run's stop signal and drains.</summary>
internal abstract class BenchClient(int index, RunContext context)
{
    public int Index { get; } = index;

    protected RunContext Context { get; } = context;

    public ClientCounters Counters { get; } = new();

    public bool Connected { get; private set; }

    public async Task ConnectAsync(CancellationToken cancel)
    {
        await OpenAsync(cancel);
        Connected = true;
    }

    protected abstract Task OpenAsync(CancellationToken cancel);

    /// <summary>Runs until <see cref="RunContext.Stop"/> (and the drain after it); never throws: failures become errors.</summary>
    public async Task RunAsync()
    {
        try
        {
            await RunLoopsAsync();
        }
        catch (OperationCanceledException) when (Context.Abort.IsCancellationRequested)
        {
            Error("the drain time ran out before the client finished (replies or a close handshake missing)");
        }
        catch (Exception ex)
        {
            Error($"{ex.GetType().Name}: {ex.Message}");
        }
        finally
        {
            await CloseAsync();
        }
    }

    protected abstract Task RunLoopsAsync();

    /// <summary>Releases the connection or session; best effort, after the window, so it never fails the run.</summary>
    protected abstract Task CloseAsync();

    protected void Error(string message)
    {
        Interlocked.Increment(ref Counters.Errors);
        Context.Errors.Add(message);
    }

    protected void RecordLatencySince(long startTimestamp) =>
        Context.Latency.Record(Index, Stopwatch.GetElapsedTime(startTimestamp).Ticks / 10);

    /// <summary>
    /// Open loop: sends message k when <paramref name="schedule"/> says, whatever the replies do, until the window ends or
    /// <paramref name="ended"/> says the client's receiving side is gone; a false from <paramref name="send"/> stops it.
    /// </summary>
    protected async Task RunOpenLoopAsync(Schedule schedule, Func<long, Task<bool>> send, Func<bool> ended)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(1));
        long seq = 0;
        try
        {
            while (!Context.Stop.IsCancellationRequested && !ended())
            {
                while (schedule.Due(seq + 1) <= Stopwatch.GetTimestamp() && !Context.Stop.IsCancellationRequested)
                {
                    if (!await send(++seq)) return;
                }
                await timer.WaitForNextTickAsync(Context.Stop);
            }
        }
        catch (OperationCanceledException) when (Context.Stop.IsCancellationRequested && !Context.Abort.IsCancellationRequested)
        {
            // The window ended while waiting for the next tick.
        }
    }

    /// <summary>Open-loop schedule: client i sends message k (from 1) at origin + i/rate + (k-1)·C/rate seconds.</summary>
    protected readonly struct Schedule
    {
        private readonly long _origin;
        private readonly double _periodTicks;

        public Schedule(long runStart, int index, int clients, double rate)
        {
            _periodTicks = Stopwatch.Frequency * clients / rate;
            _origin = runStart + (long)(Stopwatch.Frequency * index / rate);
        }

        public long Due(long sequence) => _origin + (long)((sequence - 1) * _periodTicks);

        public TimeSpan Period => TimeSpan.FromSeconds(_periodTicks / Stopwatch.Frequency);
    }
}
