using System.Diagnostics;
using PushCompare.Bench.Clients;
using PushCompare.Bench.Metrics;
using PushCompare.Bench.Running;
using PushCompare.Bench.Transports;

namespace PushCompare.Bench.Workloads;

/// <summary>
/// From nothing to the first delivered message: the clock starts before the connection opens (TCP, TLS, the upgrade
/// or the session's POST and, for SSE, the stream's GET), one echo message goes out, and its reply stops the clock.
/// What the client's connections carried until then (both layers, requests, TCP connections opened) is added to the
/// run's first-message totals; closing is not part of it.
/// </summary>
internal sealed class FirstMessageWorkload(RunContext context, ClientCounters counters) : Workload(context, counters)
{
    private readonly byte[] _message = Payload.Create(context.Settings.Size);
    private readonly ReplySignal _replied = new();
    private long _started;
    private TrafficSnapshot _trafficAtStart;
    private volatile bool _replyArrived;

    public override SessionKind Kind => SessionKind.Echo;

    public override void OnConnecting()
    {
        _trafficAtStart = Context.Traffic.Snapshot();
        _started = Stopwatch.GetTimestamp();
    }

    protected override async Task DriveAsync(Task receiving)
    {
        using var wake = Context.Abort.UnsafeRegister(static s => ((ReplySignal)s!).Set(), _replied);
        Payload.WriteSequence(_message, 1);
        if (!await Connection.SendAsync(1, _message)) return;
        Volatile.Write(ref Counters.Sent, 1);
        Counters.PayloadUp += _message.Length;
        while (!_replyArrived && !Ended)
        {
            Context.Abort.ThrowIfCancellationRequested();
            await _replied.WaitAsync();
        }
        // Read once both the reply and the send's own answer (an HTTP transport's 202) are in, so the requests are whole.
        if (_replyArrived) Context.AddFirstMessage(Context.Traffic.Snapshot() - _trafficAtStart, Volatile.Read(ref Counters.Requests));
    }

    public override void OnMessage(ReadOnlySpan<byte> message)
    {
        long micros = Stopwatch.GetElapsedTime(_started).Ticks / 10;
        Counters.PayloadDown += message.Length;
        if (!Payload.TryRead(message, _message.Length, out long seq))
        {
            Error($"a reply was not the message this client sent ({message.Length} bytes)");
            return;
        }
        if (!Accept(seq, "a reply", "replies")) return;
        Received(micros);
        _replyArrived = true;
        _replied.Set();
    }

    protected override void OnReceivingEnded() => _replied.Set();
}
