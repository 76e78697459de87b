using PushCompare.Web.Metering;

namespace PushCompare.UnitTests.Metering;

/// <summary>Matching polling deliveries to the moment each reply was queued, across batches, re-sends and the queue bound.</summary>
public sealed class SessionMeterTests
{
    [Fact]
    public void A_message_is_first_delivered_once_and_later_copies_are_resends()
    {
        var session = new SessionMeter("id", WireTransport.LongPoll, DateTimeOffset.UnixEpoch);
        session.Queued(101);
        session.Queued(102);

        var first = new long[2];
        session.TakeFirstDeliveries(cursor: 2, first);
        Assert.Equal([101, 102], first);

        session.Queued(103);
        var again = new long[3]; // the client did not acknowledge 1–2, so they come again with 3
        session.TakeFirstDeliveries(cursor: 3, again);
        Assert.Equal([-1, -1, 103], again);
    }

    [Fact]
    public void The_queue_keeps_the_newest_replies_and_an_older_one_has_no_known_time()
    {
        var session = new SessionMeter("id", WireTransport.LongPoll, DateTimeOffset.UnixEpoch);
        for (int i = 1; i <= 1025; i++) session.Queued(1000 + i);

        var batch = new long[1025];
        session.TakeFirstDeliveries(cursor: 1025, batch);
        Assert.Equal(0, batch[0]);        // dropped by the bound: counted as delivered, no latency
        Assert.Equal(1002, batch[1]);
        Assert.Equal(2025, batch[1024]);
    }

    [Fact]
    public void A_closed_session_forgets_what_it_had_queued()
    {
        var session = new SessionMeter("id", WireTransport.LongPoll, DateTimeOffset.UnixEpoch);
        session.Queued(7);
        session.ForgetQueued();

        var batch = new long[1];
        session.TakeFirstDeliveries(cursor: 1, batch);
        Assert.Equal(0, batch[0]);
    }
}
