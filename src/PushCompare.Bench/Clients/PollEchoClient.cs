using System.Diagnostics;
using System.Net;
using System.Text;
using PushCompare.Bench.Running;

namespace PushCompare.Bench.Clients;

/// <summary>
/// Echo over polling: each message is <c>POST /poll/{id}?seq=N</c> (one in flight, as the protocol requires) and
/// its reply comes back through the poll loop. Closed loop waits for each reply; open loop posts on a schedule and
/// times replies from the moment their message was due.
/// </summary>
internal sealed class PollEchoClient(int index, RunContext context) : PollClient(index, context)
{
    private readonly SemaphoreSlim _replied = new(0);
    private readonly byte[] _message = Payload.Create(context.Settings.Size);
    private SequenceChecker _sequence = new();
    private Schedule _schedule;
    private long _sendStarted;
    private long _lastReply;
    private int _senderDone;
    private int _pollEnded;

    protected override string OpenQuery => "echo=exact";

    protected override async Task RunLoopsAsync()
    {
        using var pollCancel = CancellationTokenSource.CreateLinkedTokenSource(Context.Abort);
        var polling = PollUntilAnsweredAsync(pollCancel.Token);
        try
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
        }
        finally
        {
            Interlocked.Exchange(ref _senderDone, 1);
            if (AllAnswered) await pollCancel.CancelAsync(); // the poll loop may be held with nothing left to come
        }
        await polling;
    }

    private bool AllAnswered => Interlocked.Read(ref _lastReply) >= Interlocked.Read(ref Counters.Sent);

    private async Task PollUntilAnsweredAsync(CancellationToken cancel)
    {
        try
        {
            await PollLoopAsync(OnReply, onUtf8: null, () => Volatile.Read(ref _senderDone) == 1 && AllAnswered, cancel);
        }
        catch (OperationCanceledException) when (!Context.Abort.IsCancellationRequested)
        {
            // Cancelled by the sender once every reply was in.
        }
        finally
        {
            Volatile.Write(ref _pollEnded, 1);
            _replied.Release(); // a closed-loop sender waiting for a reply must not wait for a loop that ended
        }
    }

    private async Task ClosedLoopAsync()
    {
        for (long seq = 1; !Context.Stop.IsCancellationRequested && Volatile.Read(ref _pollEnded) == 0; seq++)
        {
            _sendStarted = Stopwatch.GetTimestamp();
            if (!await SendAsync(seq)) return;
            await _replied.WaitAsync(Context.Abort);
        }
    }

    private Task OpenLoopAsync() => RunOpenLoopAsync(_schedule, SendAsync, () => Volatile.Read(ref _pollEnded) != 0);

    private async Task<bool> SendAsync(long seq)
    {
        Payload.WriteSequence(_message, seq);
        using var request = Http.Post($"/poll/{SessionId}?seq={seq}", _message);
        using var response = await Http.SendAsync(Index, request, Context.Abort);
        Interlocked.Increment(ref Counters.Requests);
        if (response.StatusCode != HttpStatusCode.Accepted)
        {
            Error($"POST /poll/{{id}} answered {(int)response.StatusCode}: {Shorten(await response.Content.ReadAsStringAsync(CancellationToken.None))}");
            return false;
        }
        Interlocked.Exchange(ref Counters.Sent, seq);
        Counters.PayloadUp += _message.Length;
        return true;
    }

    private bool OnReply(string reply)
    {
        int size = _message.Length;
        Span<byte> utf8 = size <= 256 ? stackalloc byte[256] : new byte[size];
        if (Encoding.UTF8.GetByteCount(reply) != size || !Payload.TryRead(utf8[..Encoding.UTF8.GetBytes(reply, utf8)], size, out long seq))
        {
            Error("a reply was not a message this client sent");
            return false;
        }
        long expected = _sequence.Last + 1;
        if (!_sequence.Observe(seq))
        {
            Counters.Lost = _sequence.Lost;
            Counters.Duplicates = _sequence.Duplicates;
            Error(seq < expected ? "a reply arrived twice or out of order" : "replies were skipped (lost)");
            if (seq < expected) return true;
        }
        long latencyFrom = Context.Spec.Rate is null ? _sendStarted : _schedule.Due(seq);
        Context.Latency.Record(Index, Stopwatch.GetElapsedTime(latencyFrom).Ticks / 10);
        Interlocked.Increment(ref Counters.Received);
        Interlocked.Exchange(ref _lastReply, seq);
        if (Context.Spec.Rate is null) _replied.Release();
        return true;
    }
}
