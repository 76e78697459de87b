using PushCompare.Bench.Cli;
using PushCompare.Bench.Transports;

namespace PushCompare.Bench.Running;

/// <summary>What clients do in a run.</summary>
public enum RunMode
{
    ClosedLoopEcho, // send, wait for the reply, repeat
    OpenLoopEcho,   // send on a fixed schedule, whatever the replies do
    Push,           // receive server ticks
    Idle,           // hold connections (or polls) open and do nothing
    FirstMessage,   // one client after another: connect from nothing, send one message, time its reply
    Switch,         // one session moved from transport to transport: time from a reader's death to the next message
}

/// <summary>One measured run: one target, one transport, one client count (and one offered rate for open loop).</summary>
/// <param name="Broadcast">Push through one topic (<c>--broadcast</c>) rather than a tick stream per client.</param>
public sealed record RunSpec(string Scenario, RunMode Mode, BenchTransport Transport, HeaderProfile Headers, int Clients, double? Rate, int Round,
    bool Broadcast = false)
{
    /// <summary>HTTP version and TLS of the run's connections.</summary>
    public WireStack Stack { get; init; } = WireStack.Http11;

    public string Title => $"{Scenario}{(Broadcast ? " broadcast" : "")} {Transport.Id}{(Stack == WireStack.Http11 ? "" : " " + Stack.Id)} C={Clients}" +
        (Rate is { } r ? $" rate={r:0}/s" : "") + (Headers == HeaderProfile.Chromium ? " (Chromium headers)" : "");
}
