using PushCompare.Bench.Cli;
using PushCompare.Bench.Running;

namespace PushCompare.Bench.Clients;

/// <summary>Picks the client class for a run's mode and transport.</summary>
internal static class ClientFactory
{
    public static BenchClient Create(RunContext context, int index)
    {
        var spec = context.Spec;
        bool ws = spec.Transport == Transport.WebSocket;
        int interval = context.Settings.IntervalMs;
        return spec.Mode switch
        {
            RunMode.ClosedLoopEcho or RunMode.OpenLoopEcho => ws ? new WebSocketEchoClient(index, context) : new PollEchoClient(index, context),
            RunMode.Push => ws ? new WebSocketPushClient(index, context, interval) : new PollPushClient(index, context, interval),
            RunMode.Idle => ws ? new WebSocketPushClient(index, context, null) : new PollPushClient(index, context, null),
            _ => throw new ArgumentOutOfRangeException(nameof(context), spec.Mode, null),
        };
    }
}
