using PushCompare.Bench.Clients;
using PushCompare.Bench.Running;
using PushCompare.Bench.Transports;

namespace PushCompare.Bench.Workloads;

/// <summary>
/// What one simulated user does over its <see cref="BenchConnection"/>, whatever the transport: receives every
/// message through <see cref="OnMessage"/> and checks it (exactly once, in order), while <see cref="DriveAsync"/>
/// sends or waits. Written once per kind of work: <see cref="EchoWorkload"/> and <see cref="PushWorkload"/>.
/// </summary>
internal abstract class Workload(RunContext context, ClientCounters counters) : IMessageSink
{
    private SequenceChecker _sequence = new();
    private volatile bool _ended;

    protected RunContext Context { get; } = context;

    protected ClientCounters Counters { get; } = counters;

    protected int Index { get; private set; }

    protected BenchConnection Connection { get; private set; } = null!;

    /// <summary>The receiving side has ended (the connection finished, or failed).</summary>
    protected bool Ended => _ended;

    /// <summary>The kind of session the workload asks the transport for.</summary>
    public abstract SessionKind Kind { get; }

    /// <summary>The workload for the run's mode.</summary>
    public static Workload For(RunContext context, ClientCounters counters) => context.Spec.Mode switch
    {
        RunMode.ClosedLoopEcho or RunMode.OpenLoopEcho => new EchoWorkload(context, counters),
        RunMode.Push => new PushWorkload(context, counters, idle: false),
        RunMode.Idle => new PushWorkload(context, counters, idle: true),
        RunMode.FirstMessage => new FirstMessageWorkload(context, counters),
        _ => throw new ArgumentOutOfRangeException(nameof(context), context.Spec.Mode, null),
    };

    /// <summary>Called just before the connection starts opening.</summary>
    public virtual void OnConnecting()
    {
    }

    /// <summary>Called once the connection is open, before any client of the run starts.</summary>
    public virtual void OnConnected(BenchConnection connection, int index)
    {
        Connection = connection;
        Index = index;
    }

    /// <summary>Receives while <see cref="DriveAsync"/> runs, then finishes the connection and waits for its end.</summary>
    public async Task RunAsync()
    {
        var receiving = ReceiveAsync();
        try
        {
            await DriveAsync(receiving);
        }
        finally
        {
            await Connection.FinishAsync();
        }
        await receiving;
    }

    private async Task ReceiveAsync()
    {
        try
        {
            await Connection.ReceiveAsync(this);
        }
        finally
        {
            _ended = true;
            OnReceivingEnded();
        }
    }

    /// <summary>Sends (echo) or waits (push, idle) until the window ends and what it waits for has arrived.</summary>
    protected abstract Task DriveAsync(Task receiving);

    public abstract void OnMessage(ReadOnlySpan<byte> message);

    /// <summary>So a sender waiting for a reply stops waiting for a connection that ended.</summary>
    protected virtual void OnReceivingEnded()
    {
    }

    /// <summary>
    /// The sequence check every workload shares: true for the next number; a repeat or a gap updates the lost and
    /// duplicate counts and is an error (<paramref name="one"/> / <paramref name="many"/> name the messages). A gap's
    /// message is still counted as received; a repeat is not.
    /// </summary>
    protected bool Accept(long number, string one, string many)
    {
        long expected = _sequence.Last + 1;
        if (_sequence.Observe(number)) return true;
        Counters.Lost = _sequence.Lost;
        Counters.Duplicates = _sequence.Duplicates;
        Error(number < expected ? $"{one} arrived twice or out of order" : $"{many} were skipped (lost)");
        return number > expected;
    }

    protected void Received(long latencyMicros)
    {
        Context.Latency.Record(Index, latencyMicros);
        Interlocked.Increment(ref Counters.Received);
    }

    protected void Error(string message)
    {
        Interlocked.Increment(ref Counters.Errors);
        Context.Errors.Add(message);
    }
}
