using System.Threading.Channels;
using PushCompare.Web.Topics;

namespace PushCompare.Web.WebSockets;

/// <summary>
/// Relays one topic's broadcasts to one socket, in publishing order. The publisher only queues (<see cref="Offer"/>
/// returns at once, and the queue is bounded, so a publisher never waits on this peer); <see cref="RunAsync"/> sends.
/// A peer more than <c>WebSockets:MaxQueuedBroadcasts</c> behind (each send bounded by <c>SendTimeout</c>) is not
/// keeping up: its connection is reset, once, so its client sees the loss (1006) and reconnects, rather than missing
/// messages silently.
/// </summary>
/// <param name="resetConnection">Resets the TCP connection of a peer that fell behind.</param>
internal sealed class BroadcastRelay(int maxQueued, Action resetConnection, ILogger logger) : ILiveSubscriber
{
    private readonly Channel<Broadcast> _queue = Channel.CreateBounded<Broadcast>(new BoundedChannelOptions(maxQueued) { SingleReader = true });
    private int _refusing; // 1 once the relay ended or the peer fell behind: offers are refused from then on

    /// <summary>Called by the publisher: queues the broadcast and returns at once.</summary>
    public bool Offer(Broadcast message)
    {
        if (_queue.Writer.TryWrite(message)) return true;
        // Refused: the queue is full, or was completed (the relay ended, or this peer fell behind already).
        if (Interlocked.Exchange(ref _refusing, 1) == 1) return false;
        Log.FellBehind(logger, maxQueued);
        _queue.Writer.TryComplete();
        resetConnection();
        return false;
    }

    /// <summary>Sends the queued broadcasts in order until <paramref name="deliver"/> says the socket cannot send or the session ends.</summary>
    public async Task RunAsync(Func<Broadcast, ValueTask<bool>> deliver, CancellationToken ending)
    {
        var queue = _queue.Reader;
        try
        {
            while (await queue.WaitToReadAsync(ending))
            {
                while (queue.TryRead(out var message))
                {
                    if (!await deliver(message)) return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The session ended (or its send timed out and the connection was reset).
        }
        finally
        {
            Volatile.Write(ref _refusing, 1);
            _queue.Writer.TryComplete(); // later offers are refused at once
        }
    }
}
