using PushCompare.Bench.Running;

namespace PushCompare.Bench.Clients;

/// <summary>
/// Receives server pushes by polling (<c>POST /poll?push=T</c>, then the poll loop). Without a push interval it is
/// an idle session whose poll the server holds until its poll timeout, again and again.
/// </summary>
internal sealed class PollPushClient(int index, RunContext context, int? pushIntervalMs) : PollClient(index, context)
{
    private SequenceChecker _sequence = new();

    protected override string OpenQuery => pushIntervalMs is { } ms ? $"push={ms}" : "echo=exact";

    protected override async Task RunLoopsAsync()
    {
        try
        {
            await PollLoopAsync(OnTick, () => Context.Stop.IsCancellationRequested, Context.Stop);
        }
        catch (OperationCanceledException) when (Context.Stop.IsCancellationRequested)
        {
            // The window ended while a poll was held or between short polls.
        }
    }

    private bool OnTick(string message)
    {
        if (pushIntervalMs is null || !Tick.TryParse(message, out long n, out long serverMs))
        {
            Error(pushIntervalMs is null ? "an idle session received a message" : "a push message was not 'tick <n> <unix ms>'");
            return true;
        }
        long latency = Tick.LatencyMicros(serverMs);
        long expected = _sequence.Last + 1;
        if (!_sequence.Observe(n))
        {
            Counters.Lost = _sequence.Lost;
            Counters.Duplicates = _sequence.Duplicates;
            Error(n < expected ? "a tick arrived twice or out of order" : "ticks were skipped (lost)");
            if (n < expected) return true;
        }
        Context.Latency.Record(Index, latency);
        Interlocked.Increment(ref Counters.Received);
        return true;
    }
}
