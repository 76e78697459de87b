using System.Diagnostics;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using PushCompare.Bench.Running;

namespace PushCompare.Bench.Clients;

/// <summary>
/// Echo over WebSocket (<c>/ws?echo=exact</c>, so the reply is the message itself). Closed loop: one message in
/// flight. Open loop: the run's <see cref="Pacer"/> sends each message on a fixed schedule and a receive loop times
/// each reply from the moment its message was due, so a server that falls behind shows as latency, not as a lower rate.
/// Sends reuse one buffer, receives a pooled one; nothing is allocated per message.
/// </summary>
internal sealed class WebSocketEchoClient(int index, RunContext context) : WebSocketClient(index, context)
{
    private int Size => Context.Settings.Size;

    protected override string PathAndQuery => "/ws?echo=exact";

    private readonly byte[] _message = Payload.Create(context.Settings.Size);
    private Schedule? _schedule;
    private long _sent;
    private Task? _receiving;

    protected override async Task OpenAsync(CancellationToken cancel)
    {
        await base.OpenAsync(cancel);
        if (Context.Spec.Rate is not null) Context.Pacer.Add(Index, SendDueAsync);
    }

    protected override Task RunLoopsAsync() => Context.Spec.Rate is null ? ClosedLoopAsync() : OpenLoopAsync();

    private async Task ClosedLoopAsync()
    {
        byte[] message = _message;
        byte[] reply = RentBuffer(Size + 64);
        var sequence = new SequenceChecker();
        try
        {
            for (long seq = 1; !Context.Stop.IsCancellationRequested; seq++)
            {
                Payload.WriteSequence(message, seq);
                long start = Stopwatch.GetTimestamp();
                await Socket.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, Context.Abort);
                Counters.Sent++;
                Counters.PayloadUp += Size;
                // A repeated earlier reply is reported and skipped: this message's own reply is still due.
                do
                {
                    var (count, type) = await ReceiveMessageAsync(reply, Context.Abort);
                    if (type == WebSocketMessageType.Close)
                    {
                        OnServerClosed();
                        return;
                    }
                    if (!Accept(reply, count, ref sequence)) return;
                }
                while (sequence.Last < seq);
                RecordLatencySince(start);
            }
            await SendCloseAsync();
            await ReceiveUntilCloseAsync(reply, sequence);
        }
        finally
        {
            ReturnBuffer(reply);
        }
    }

    private async Task OpenLoopAsync()
    {
        var receiving = ReceiveScheduledAsync();
        _receiving = receiving;
        await Context.Pacer.RunAsync(Context.Stop);
        if (!receiving.IsCompleted) await SendCloseAsync();
        await receiving;
    }

    /// <summary>Called by the pacer about once a millisecond: sends every message due by now, back to back.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> SendDueAsync()
    {
        var schedule = _schedule ??= new Schedule(Context.StartTimestamp, Index, Context.Spec.Clients, Context.Spec.Rate!.Value);
        var stream = Stream!;
        try
        {
            if (schedule.Due(_sent + 1) > Stopwatch.GetTimestamp()) return !Context.Stop.IsCancellationRequested;
            // Frames due in this tick leave in one write(): same bytes, one system call (see CountingStream.Cork).
            stream.Cork();
            try
            {
                while (schedule.Due(_sent + 1) <= Stopwatch.GetTimestamp())
                {
                    if (Context.Stop.IsCancellationRequested || _receiving is { IsCompleted: true }) return false;
                    Payload.WriteSequence(_message, ++_sent);
                    await Socket.SendAsync(_message, WebSocketMessageType.Text, endOfMessage: true, Context.Abort);
                    Volatile.Write(ref Counters.Sent, _sent);
                    Counters.PayloadUp += Size;
                }
            }
            finally
            {
                await stream.UncorkAsync(Context.Abort);
            }
            return !Context.Stop.IsCancellationRequested;
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            Error($"send failed: {ex.Message}");
            return false;
        }
    }

    private async Task ReceiveScheduledAsync()
    {
        byte[] reply = RentBuffer(Size + 64);
        var sequence = new SequenceChecker();
        try
        {
            while (true)
            {
                var (count, type) = await ReceiveMessageAsync(reply, Context.Abort);
                if (type == WebSocketMessageType.Close)
                {
                    OnServerClosed();
                    return;
                }
                if (!Accept(reply, count, ref sequence)) return;
                // A reply exists only after its message was sent, so the schedule is set by now.
                Context.Latency.Record(Index, Stopwatch.GetElapsedTime(_schedule!.Value.Due(sequence.Last)).Ticks / 10);
            }
        }
        finally
        {
            ReturnBuffer(reply);
        }
    }

    /// <summary>After our close frame: anything but the server's close frame is a reply that came late or twice.</summary>
    private async Task ReceiveUntilCloseAsync(byte[] buffer, SequenceChecker sequence)
    {
        while (true)
        {
            var (count, type) = await ReceiveMessageAsync(buffer, Context.Abort);
            if (type == WebSocketMessageType.Close)
            {
                OnServerClosed();
                return;
            }
            if (!Accept(buffer, count, ref sequence)) return;
        }
    }

    /// <summary>Checks one reply: our size and filler, and the next sequence number. False ends the client (its counts stay).</summary>
    private bool Accept(byte[] reply, int count, ref SequenceChecker sequence)
    {
        if (count < 0 || !Payload.TryRead(reply.AsSpan(0, count), Size, out long seq))
        {
            Error($"a reply was not a message this client sent ({(count < 0 ? "too long" : count + " bytes")})");
            return false;
        }
        long expected = sequence.Last + 1;
        bool inOrder = sequence.Observe(seq);
        Counters.Lost = sequence.Lost;
        Counters.Duplicates = sequence.Duplicates;
        if (!inOrder)
        {
            Error(seq < expected ? "a reply arrived twice or out of order" : "replies were skipped (lost)");
            if (seq < expected) return true;
        }
        Volatile.Write(ref Counters.Received, Counters.Received + 1);
        Counters.PayloadDown += count;
        return true;
    }
}
