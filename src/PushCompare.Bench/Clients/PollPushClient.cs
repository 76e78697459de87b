using PushCompare.Bench.Running;

namespace PushCompare.Bench.Clients;

/// <summary>
/// Receives server pushes by polling (<c>POST /poll?push=T</c>, then the poll loop). Without a push interval it is
/// an idle session whose poll the server holds until its poll timeout, again and again.
/// </summary>
internal sealed class PollPushClient(int index, RunContext context, int? pushIntervalMs) : PollClient(index, context)
{
    private SequenceChecker _sequence = new();

    protected override string OpenQuery => pushIntervalMs is null ? "echo=exact" : Context.Settings.PushQuery;

    protected override async Task RunLoopsAsync()
    {
        try
        {
            await PollLoopAsync(OnTick, OnTickUtf8, () => Context.Stop.IsCancellationRequested, Context.Stop);
        }
        catch (OperationCanceledException) when (Context.Stop.IsCancellationRequested)
        {
            // The window ended while a poll was held or between short polls.
        }
    }

    protected override bool SupportsRawClient => true;

    private bool OnTick(string message) => OnTick(Tick.TryParse(message, out long n, out long serverMs), n, serverMs);

    /// <summary>The raw client's path: the tick is parsed from the response bytes, no string per message.</summary>
    private bool OnTickUtf8(ReadOnlySpan<byte> message) => OnTick(Tick.TryParse(message, out long n, out long serverMs), n, serverMs);

    private bool OnTick(bool parsed, long n, long serverMs)
    {
        if (pushIntervalMs is null || !parsed)
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
