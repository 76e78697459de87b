using System.Diagnostics;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using PushCompare.Bench.Clients;
using PushCompare.Bench.Running;
using PushCompare.Bench.Transports;

namespace PushCompare.Bench.Workloads;

/// <summary>
/// Echo (<c>echo=exact</c>, so each reply is the message itself, carrying its sequence number). Closed loop: one
/// message in flight, latency from its send. Open loop: each message leaves when its schedule says, whatever the
/// replies do, and each reply is timed from the moment its message was due, so a server that falls behind shows as
/// latency, not as a lower rate. Connections whose sends need no answer share the run's <see cref="Pacer"/>; the others
/// pace themselves. Once the window ends, replies still in flight are waited for (up to the drain time).
/// </summary>
internal sealed class EchoWorkload(RunContext context, ClientCounters counters) : Workload(context, counters)
{
    private readonly byte[] _message = Payload.Create(context.Settings.Size);
    private readonly ReplySignal _replied = new();
    private readonly bool _openLoop = context.Spec.Rate is not null;
    private Schedule? _schedule;
    private long _sendStarted;
    private long _sent;
    private long _lastReply;

    public override SessionKind Kind => SessionKind.Echo;

    /// <summary>Set on first use: its origin is the moment the run's clients start, known only then.</summary>
    private Schedule OpenSchedule => _schedule ??= new Schedule(Context.StartTimestamp, Index, Context.Spec.Clients, Context.Spec.Rate!.Value);

    public override void OnConnected(BenchConnection connection, int index)
    {
        base.OnConnected(connection, index);
        if (_openLoop && connection.SendsWithoutAnswer) Context.Pacer.Add(index, SendDueAsync);
    }

    protected override async Task DriveAsync(Task receiving)
    {
        using var wake = Context.Abort.UnsafeRegister(static s => ((ReplySignal)s!).Set(), _replied);
        if (!_openLoop) await ClosedLoopAsync();
        else if (Connection.SendsWithoutAnswer) await Context.Pacer.RunAsync(Context.Stop);
        else await SelfPacedAsync();
        // Replies still on their way are part of the run: wait for them (up to the drain time) before finishing.
        long sent = Volatile.Read(ref Counters.Sent);
        while (Volatile.Read(ref _lastReply) < sent && !Ended) await NextReplyAsync();
    }

    private async Task ClosedLoopAsync()
    {
        for (long seq = 1; !Context.Stop.IsCancellationRequested && !Ended; seq++)
        {
            _sendStarted = Stopwatch.GetTimestamp();
            if (!await SendAsync(seq)) return;
            while (Volatile.Read(ref _lastReply) < seq && !Ended) await NextReplyAsync();
        }
    }

    /// <summary>The next reply (or the end of the connection); throws once the drain time has run out.</summary>
    private ValueTask NextReplyAsync()
    {
        Context.Abort.ThrowIfCancellationRequested();
        return _replied.WaitAsync();
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))] // an HTTP send completes asynchronously per message
    private async ValueTask<bool> SendAsync(long seq)
    {
        Payload.WriteSequence(_message, seq);
        if (!await Connection.SendAsync(seq, _message)) return false;
        Sent(seq);
        return true;
    }

    private void Sent(long seq)
    {
        Volatile.Write(ref Counters.Sent, seq);
        Counters.PayloadUp += _message.Length;
    }

    /// <summary>Open loop for a connection whose sends wait for an answer: message k leaves when due, a failed send stops it.</summary>
    private async Task SelfPacedAsync()
    {
        var schedule = OpenSchedule;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(1));
        long seq = 0;
        try
        {
            while (!Context.Stop.IsCancellationRequested && !Ended)
            {
                while (schedule.Due(seq + 1) <= Stopwatch.GetTimestamp() && !Context.Stop.IsCancellationRequested)
                {
                    if (!await SendAsync(++seq)) return;
                }
                await timer.WaitForNextTickAsync(Context.Stop);
            }
        }
        catch (OperationCanceledException) when (Context.Stop.IsCancellationRequested && !Context.Abort.IsCancellationRequested)
        {
            // The window ended while waiting for the next tick.
        }
    }

    /// <summary>Called by the pacer about once a millisecond: sends every message due by now, back to back.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> SendDueAsync()
    {
        var schedule = OpenSchedule;
        try
        {
            if (schedule.Due(_sent + 1) > Stopwatch.GetTimestamp()) return !Context.Stop.IsCancellationRequested;
            Connection.BeginBatch();
            try
            {
                while (schedule.Due(_sent + 1) <= Stopwatch.GetTimestamp())
                {
                    if (Context.Stop.IsCancellationRequested || Ended) return false;
                    Payload.WriteSequence(_message, ++_sent);
                    await Connection.SendAsync(_sent, _message);
                    Sent(_sent);
                }
            }
            finally
            {
                await Connection.EndBatchAsync();
            }
            return !Context.Stop.IsCancellationRequested;
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            Error($"send failed: {ex.Message}");
            return false;
        }
    }

    public override void OnMessage(ReadOnlySpan<byte> message)
    {
        Counters.PayloadDown += message.Length;
        if (!Payload.TryRead(message, _message.Length, out long seq))
        {
            Error($"a reply was not a message this client sent ({message.Length} bytes)");
            return;
        }
        if (!Accept(seq, "a reply", "replies")) return;
        // A reply exists only after its message was sent, so the schedule is set by now.
        long from = _openLoop ? OpenSchedule.Due(seq) : _sendStarted;
        Received(Stopwatch.GetElapsedTime(from).Ticks / 10);
        Volatile.Write(ref _lastReply, seq);
        _replied.Set();
    }

    protected override void OnReceivingEnded() => _replied.Set();

    /// <summary>Open-loop schedule: client i sends message k (from 1) at origin + i/rate + (k-1)·C/rate seconds.</summary>
    private readonly struct Schedule
    {
        private readonly long _origin;
        private readonly double _periodTicks;

        public Schedule(long runStart, int index, int clients, double rate)
        {
            _periodTicks = Stopwatch.Frequency * clients / rate;
            _origin = runStart + (long)(Stopwatch.Frequency * index / rate);
        }

        public long Due(long sequence) => _origin + (long)((sequence - 1) * _periodTicks);
    }
}
