using PushCompare.Bench.Cli;
using PushCompare.Bench.Clients.Sse;
using PushCompare.Bench.Running;

namespace PushCompare.Bench.Clients;

/// <summary>Picks the client class for a run's mode and transport: the bench's side of <see cref="TransportCatalog"/>.</summary>
internal static class ClientFactory
{
    public static BenchClient Create(RunContext context, int index)
    {
        var spec = context.Spec;
        int interval = context.Settings.IntervalMs;
        return (spec.Transport, spec.Mode) switch
        {
            (Transport.WebSocket, RunMode.ClosedLoopEcho or RunMode.OpenLoopEcho) => new WebSocketEchoClient(index, context),
            (Transport.WebSocket, RunMode.Push) => new WebSocketPushClient(index, context, interval),
            (Transport.WebSocket, RunMode.Idle) => new WebSocketPushClient(index, context, null),
            (Transport.Sse, RunMode.ClosedLoopEcho or RunMode.OpenLoopEcho) => new SseEchoClient(index, context),
            (Transport.Sse, RunMode.Push) => new SsePushClient(index, context, interval),
            (Transport.Sse, RunMode.Idle) => new SsePushClient(index, context, null),
            (_, RunMode.ClosedLoopEcho or RunMode.OpenLoopEcho) => new PollEchoClient(index, context),
            (_, RunMode.Push) => new PollPushClient(index, context, interval),
            (_, RunMode.Idle) => new PollPushClient(index, context, null),
            _ => throw new ArgumentOutOfRangeException(nameof(context), spec.Mode, null),
        };
    }
}
