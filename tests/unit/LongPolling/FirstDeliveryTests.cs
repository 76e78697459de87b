using Microsoft.Extensions.Time.Testing;
using PushCompare.Web.Polling;
using PushCompare.Web.Sessions;
using PushCompare.Web.Messaging;

namespace PushCompare.UnitTests.LongPolling;

/// <summary>A batch says, per message, when it was queued if this is its first delivery (for latency metering) or 0 for a resend.</summary>
public sealed class FirstDeliveryTests
{
    [Fact]
    public async Task A_message_carries_its_queue_time_on_first_delivery_and_0_when_resent()
    {
        var clock = new FakeTimeProvider();
        var session = new MessageSession("id", "key", PollingTransports.LongPoll, EchoMode.Prefixed, TimeSpan.FromSeconds(25),
            new MessageSessionOptions(), clock, _ => { });
        session.Enqueue("a");
        clock.Advance(TimeSpan.FromMilliseconds(5));
        session.Enqueue("b");
        long queuedA = clock.GetTimestamp() - TimeSpan.FromMilliseconds(5).Ticks * clock.TimestampFrequency / TimeSpan.TicksPerSecond;

        var first = await session.PollAsync(0, TimeSpan.Zero, CancellationToken.None);
        session.Enqueue("c");
        var again = await session.PollAsync(0, TimeSpan.Zero, CancellationToken.None); // the first response was lost

        Assert.Equal(["a", "b"], first.Messages!);
        Assert.Equal(queuedA, first.FirstQueuedAt![0]);
        Assert.Equal(clock.GetTimestamp(), first.FirstQueuedAt[1]);
        Assert.Equal(["a", "b", "c"], again.Messages!);
        Assert.Equal([0, 0, clock.GetTimestamp()], again.FirstQueuedAt!);
    }
}
