using PushCompare.Bench.Running;

namespace PushCompare.Bench.Clients.Sse;

/// <summary>
/// Receives server pushes over SSE (<c>POST /sse?push=T</c>, then the stream): every tick must be the next number,
/// its latency is the server's timestamp to now. A push-only client must acknowledge, or its session closes once
/// <c>Sessions:MaxBacklogMessages</c> are unacknowledged: it POSTs an ack every <see cref="AckEvery"/> events, as the
/// page does. Without a push interval it is an idle stream that only waits (heartbeats are not messages).
/// </summary>
internal sealed class SsePushClient(int index, RunContext context, int? pushIntervalMs) : SseClient(index, context)
{
    public const int AckEvery = 100;

    private SequenceChecker _sequence = new();

    // Clients start at random points of their ack cycle, as pages that have run for a while would be, so a window of
    // any length sees the steady share of ack requests (one per AckEvery messages), not none.
    private int _untilAck = Random.Shared.Next(1, AckEvery + 1);

    protected override string OpenQuery => pushIntervalMs is null ? "echo=exact" : Context.Settings.PushQuery;

    protected override Task SendLoopAsync(Task reading) => Task.WhenAny(reading, Task.Delay(Timeout.Infinite, Context.Stop));

    protected override void OnMessage(ReadOnlySpan<byte> data)
    {
        if (pushIntervalMs is null || !Tick.TryParse(data, out long n, out long serverMs))
        {
            Error(pushIntervalMs is null ? "an idle stream received a message" : "a push message was not 'tick <n> <unix ms>'");
            return;
        }
        long latency = Tick.LatencyMicros(serverMs);
        long expected = _sequence.Last + 1;
        if (!_sequence.Observe(n))
        {
            Counters.Lost = _sequence.Lost;
            Counters.Duplicates = _sequence.Duplicates;
            Error(n < expected ? "a tick arrived twice or out of order" : "ticks were skipped (lost)");
            if (n < expected) return;
        }
        Context.Latency.Record(Index, latency);
        Interlocked.Increment(ref Counters.Received);
        if (--_untilAck == 0)
        {
            _untilAck = AckEvery;
            Acknowledge();
        }
    }
}
