using PushCompare.Bench.Clients;
using PushCompare.Bench.Running;
using PushCompare.Bench.Transports;

namespace PushCompare.Bench.Workloads;

/// <summary>
/// Receives server pushes (its own tick stream, or the broadcast topic's) until the window ends: every tick must be
/// the next number, and its latency is the server's timestamp to now. Idle: holds the connection and expects nothing.
/// </summary>
internal sealed class PushWorkload(RunContext context, ClientCounters counters, bool idle) : Workload(context, counters)
{
    public override SessionKind Kind => idle ? SessionKind.Idle : SessionKind.Push;

    protected override Task DriveAsync(Task receiving) => Task.WhenAny(receiving, Task.Delay(Timeout.Infinite, Context.Stop));

    public override void OnMessage(ReadOnlySpan<byte> message)
    {
        Counters.PayloadDown += message.Length;
        if (idle)
        {
            Error("an idle connection received a message");
            return;
        }
        if (!Tick.TryParse(message, out long n, out long serverMs))
        {
            Error("a push message was not 'tick <n> <unix ms>'");
            return;
        }
        long latency = Tick.LatencyMicros(serverMs);
        Counters.ObserveTick(n, serverMs);
        if (Accept(n, "a tick", "ticks")) Received(latency);
    }
}
