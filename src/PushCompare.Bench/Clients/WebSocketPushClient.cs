using System.Net.WebSockets;
using PushCompare.Bench.Running;

namespace PushCompare.Bench.Clients;

/// <summary>
/// Receives server pushes over WebSocket (<c>/ws?push=T</c>): every tick must be the next number, and its latency
/// is the server's timestamp to now. Without a push interval it is an idle connection that only waits.
/// </summary>
internal sealed class WebSocketPushClient(int index, RunContext context, int? pushIntervalMs) : WebSocketClient(index, context)
{
    protected override string PathAndQuery => pushIntervalMs is null ? "/ws" : $"/ws?{Context.Settings.PushQuery}";

    protected override async Task RunLoopsAsync()
    {
        byte[] buffer = RentBuffer(256);
        var sequence = new SequenceChecker();
        // Our close frame goes out when the window ends; the loop then reads until the server's close frame.
        using var closing = Context.Stop.Register(() => _ = SendCloseSafelyAsync());
        try
        {
            while (true)
            {
                var (count, type) = await ReceiveMessageAsync(buffer, Context.Abort);
                if (type == WebSocketMessageType.Close)
                {
                    OnServerClosed();
                    return;
                }
                if (count < 0 || !Tick.TryParse(buffer.AsSpan(0, count), out long n, out long serverMs))
                {
                    Error(pushIntervalMs is null ? "an idle connection received a message" : "a push message was not 'tick <n> <unix ms>'");
                    continue;
                }
                long latency = Tick.LatencyMicros(serverMs);
                long expected = sequence.Last + 1;
                if (!sequence.Observe(n))
                {
                    Counters.Lost = sequence.Lost;
                    Counters.Duplicates = sequence.Duplicates;
                    Error(n < expected ? "a tick arrived twice or out of order" : "ticks were skipped (lost)");
                    if (n < expected) continue;
                }
                Context.Latency.Record(Index, latency);
                Volatile.Write(ref Counters.Received, Counters.Received + 1);
                Counters.PayloadDown += count;
            }
        }
        finally
        {
            ReturnBuffer(buffer);
        }
    }

    private async Task SendCloseSafelyAsync()
    {
        try
        {
            await SendCloseAsync();
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The receive loop reports what went wrong (or the connection is already gone).
        }
    }
}
