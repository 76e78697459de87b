using System.Diagnostics;
using PushCompare.Bench.Running;

namespace PushCompare.Bench.Clients.Sse;

/// <summary>
/// Echo over SSE (<c>POST /sse?echo=exact</c>): each message is <c>POST /sse/{id}?seq=N&amp;ack=M</c> (one in flight,
/// as the protocol requires; <c>ack=</c> acknowledges the events processed so far, so the backlog never grows) and its
/// reply arrives as an event on the stream. Closed loop waits for each reply; open loop posts on a schedule and times
/// replies from the moment their message was due.
/// </summary>
internal sealed class SseEchoClient(int index, RunContext context) : SseClient(index, context)
{
    private readonly SemaphoreSlim _replied = new(0);
    private readonly byte[] _message = Payload.Create(context.Settings.Size);
    private SequenceChecker _sequence = new();
    private Schedule _schedule;
    private long _sendStarted;
    private long _lastReply;
    private volatile bool _streamEnded;

    protected override string OpenQuery => "echo=exact";

    protected override async Task SendLoopAsync(Task reading)
    {
        if (Context.Spec.Rate is { } rate)
        {
            _schedule = new Schedule(Context.StartTimestamp, Index, Context.Spec.Clients, rate);
            await OpenLoopAsync();
        }
        else
        {
            await ClosedLoopAsync();
        }
        // Replies still on their way are part of the run: wait for them (up to the drain time) before the DELETE.
        while (!_streamEnded && Interlocked.Read(ref _lastReply) < Interlocked.Read(ref Counters.Sent)) await _replied.WaitAsync(Context.Abort);
    }

    private async Task ClosedLoopAsync()
    {
        for (long seq = 1; !Context.Stop.IsCancellationRequested && !_streamEnded; seq++)
        {
            _sendStarted = Stopwatch.GetTimestamp();
            if (!await SendAsync(seq)) return;
            while (Interlocked.Read(ref _lastReply) < seq && !_streamEnded) await _replied.WaitAsync(Context.Abort);
        }
    }

    private Task OpenLoopAsync() => RunOpenLoopAsync(_schedule, SendAsync, () => _streamEnded);

    private async Task<bool> SendAsync(long seq)
    {
        Payload.WriteSequence(_message, seq);
        if (await SendMessageAsync(seq, _message, Context.Abort) != 202) return false;
        Interlocked.Exchange(ref Counters.Sent, seq);
        Counters.PayloadUp += _message.Length;
        return true;
    }

    protected override void OnMessage(ReadOnlySpan<byte> data)
    {
        if (!Payload.TryRead(data, _message.Length, out long seq))
        {
            Error("a reply was not a message this client sent");
            return;
        }
        long expected = _sequence.Last + 1;
        if (!_sequence.Observe(seq))
        {
            Counters.Lost = _sequence.Lost;
            Counters.Duplicates = _sequence.Duplicates;
            Error(seq < expected ? "a reply arrived twice or out of order" : "replies were skipped (lost)");
            if (seq < expected) return;
        }
        long latencyFrom = Context.Spec.Rate is null ? _sendStarted : _schedule.Due(seq);
        Context.Latency.Record(Index, Stopwatch.GetElapsedTime(latencyFrom).Ticks / 10);
        Interlocked.Increment(ref Counters.Received);
        Interlocked.Exchange(ref _lastReply, seq);
        _replied.Release();
    }

    protected override void OnStreamEnded()
    {
        _streamEnded = true;
        _replied.Release();
    }
}
