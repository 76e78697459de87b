namespace PushCompare.Bench.Clients;

/// <summary>
/// One client's counts, read by the monitor for sums with volatile reads. Most fields have a single writer (the
/// client's send loop or its receive loop); those both loops write (Requests, Errors, Received for polling echo) are
/// updated with Interlocked. No counter is shared between clients, so none is contended per message.
/// </summary>
internal sealed class ClientCounters
{
    public long Sent;
    public long Received;
    public long PayloadUp;
    public long PayloadDown;
    public long Requests;
    public long EmptyPolls;
    public long Lost;
    public long Duplicates;
    public long Errors;

    /// <summary>SSE: streams opened again (with Last-Event-ID) after the server ended or cut one during the run.</summary>
    public long Reconnects;

    /// <summary>
    /// Push: the first and the latest tick received (the server's number and millisecond stamp), so the pace at which the
    /// server made its ticks is known: a loaded server's timer makes them later than asked, which is not a delivery fault.
    /// </summary>
    public long FirstTick, FirstTickMs, LastTick, LastTickMs;

    public void ObserveTick(long n, long serverMs)
    {
        if (FirstTick == 0)
        {
            FirstTick = n;
            FirstTickMs = serverMs;
        }
        LastTick = n;
        LastTickMs = serverMs;
    }

    /// <summary>Milliseconds between the server's ticks as it stamped them (never below the interval asked).</summary>
    public double TickPaceMs(int intervalMs) =>
        LastTick > FirstTick ? Math.Max(intervalMs, (double)(LastTickMs - FirstTickMs) / (LastTick - FirstTick)) : intervalMs;

    public CounterTotals Read() => new(Volatile.Read(ref Sent), Volatile.Read(ref Received), Volatile.Read(ref PayloadUp),
        Volatile.Read(ref PayloadDown), Volatile.Read(ref Requests), Volatile.Read(ref EmptyPolls), Volatile.Read(ref Lost),
        Volatile.Read(ref Duplicates), Volatile.Read(ref Errors), Volatile.Read(ref Reconnects));
}

/// <summary>Counts summed over clients at one instant; subtract two for a window.</summary>
public readonly record struct CounterTotals(long Sent, long Received, long PayloadUp, long PayloadDown, long Requests,
    long EmptyPolls, long Lost, long Duplicates, long Errors, long Reconnects)
{
    public static CounterTotals operator +(CounterTotals a, CounterTotals b) => new(a.Sent + b.Sent, a.Received + b.Received,
        a.PayloadUp + b.PayloadUp, a.PayloadDown + b.PayloadDown, a.Requests + b.Requests, a.EmptyPolls + b.EmptyPolls,
        a.Lost + b.Lost, a.Duplicates + b.Duplicates, a.Errors + b.Errors, a.Reconnects + b.Reconnects);

    public static CounterTotals operator -(CounterTotals a, CounterTotals b) => new(a.Sent - b.Sent, a.Received - b.Received,
        a.PayloadUp - b.PayloadUp, a.PayloadDown - b.PayloadDown, a.Requests - b.Requests, a.EmptyPolls - b.EmptyPolls,
        a.Lost - b.Lost, a.Duplicates - b.Duplicates, a.Errors - b.Errors, a.Reconnects - b.Reconnects);
}
