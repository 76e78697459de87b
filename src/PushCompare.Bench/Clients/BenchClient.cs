using PushCompare.Bench.Running;
using PushCompare.Bench.Transports;
using PushCompare.Bench.Workloads;

namespace PushCompare.Bench.Clients;

/// <summary>One simulated user: the run's workload over a connection of the run's transport.</summary>
internal sealed class BenchClient
{
    private readonly RunContext _context;
    private readonly Workload _workload;

    public BenchClient(RunContext context, int index)
    {
        _context = context;
        Index = index;
        _workload = Workload.For(context, Counters);
        Connection = context.Spec.Transport.Connect(context, index, Counters, _workload.Kind);
    }

    public int Index { get; }

    public ClientCounters Counters { get; } = new();

    public BenchConnection Connection { get; }

    public bool Connected { get; private set; }

    public async Task ConnectAsync(CancellationToken cancel)
    {
        _workload.OnConnecting();
        await Connection.OpenAsync(cancel);
        _workload.OnConnected(Connection, Index);
        Connected = true;
    }

    /// <summary>Runs until <see cref="RunContext.Stop"/> (and the drain after it); never throws: failures become errors.</summary>
    public async Task RunAsync()
    {
        try
        {
            await _workload.RunAsync();
        }
        catch (OperationCanceledException) when (_context.Abort.IsCancellationRequested)
        {
            Error("the drain time ran out before the client finished (replies or a close handshake missing)");
        }
        catch (Exception ex)
        {
            Error($"{ex.GetType().Name}: {ex.Message}");
        }
        finally
        {
            await Connection.CloseAsync();
        }
    }

    private void Error(string message)
    {
        Interlocked.Increment(ref Counters.Errors);
        _context.Errors.Add(message);
    }
}
