using Microsoft.Extensions.Time.Testing;
using PushCompare.Hosting.Links;

namespace PushCompare.UnitTests.Links;

/// <summary>The link's schedule alone (when each segment arrives), on a fake clock: exact, and fast enough for megabytes.</summary>
public class LinkScheduleTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly LinkCounters _counters = new();

    private long Freq => _time.TimestampFrequency;

    private long Ticks(double ms) => (long)Math.Ceiling(ms / 1000 * Freq);

    private LinkFlow Flow(LinkProfile profile, LinkQueue queue, int seed = 1) => new(profile, queue, Freq, new Random(seed), _counters);

    [Fact]
    public void Bytes_delivered_by_any_time_never_exceed_the_rate_times_that_time()
    {
        var profile = LinkProfile.Create("t", TimeSpan.FromMilliseconds(40), 8_000_000); // 1 MB/s
        var queue = new LinkQueue(profile.BitsPerSecond, Freq);
        var flow = Flow(profile, queue);
        var start = _time.GetTimestamp();
        long delivered = 0;

        // 10 MB offered in 64 KiB writes, each as soon as the clock allows (the sender always has data: the worst case).
        for (var write = 0; write < 160; write++)
        {
            for (var i = 0; i < 45; i++)
            {
                var arrival = flow.Schedule(_time.GetTimestamp(), LinkEmulator.SegmentBytes, 44 - i);
                delivered += LinkEmulator.SegmentBytes;
                var seconds = (double)(arrival - start) / Freq;
                Assert.True(delivered <= 1_000_000 * seconds + LinkEmulator.SegmentBytes,
                    $"{delivered} bytes had arrived {seconds:0.000} s after the start, above 1 MB/s");
            }
            _time.Advance(TimeSpan.FromMilliseconds(10));
        }
        Assert.True(delivered >= 10_000_000);
    }

    [Fact]
    public void Every_segment_waits_at_least_the_one_way_delay_and_none_overtakes_another_despite_jitter()
    {
        var profile = LinkProfile.Create("t", TimeSpan.FromMilliseconds(100), jitter: TimeSpan.FromMilliseconds(80));
        var flow = Flow(profile, new LinkQueue(null, Freq));
        long previous = 0;
        var jittered = 0;

        for (var i = 0; i < 2000; i++)
        {
            var now = _time.GetTimestamp();
            var arrival = flow.Schedule(now, 100, 0);
            Assert.True(arrival - now >= Ticks(50), "a segment arrived before the one-way delay");
            Assert.True(arrival >= previous, "a segment overtook the one sent before it");
            if (arrival - now > Ticks(50)) jittered++;
            previous = arrival;
            _time.Advance(TimeSpan.FromMilliseconds(1));
        }
        Assert.True(jittered > 1000, "the jitter delayed hardly any segment");
    }

    [Theory]
    [InlineData(0)] // nothing behind a lost segment: no duplicate acks, the timeout (RTT + 200 ms)
    [InlineData(3)] // three behind it: fast retransmit, one round trip later
    public void A_lost_segment_arrives_one_retransmission_later(int segmentsBehind)
    {
        var firstRepair = Ticks(60) + (segmentsBehind >= LinkFlow.DupAckThreshold ? 0 : Ticks(200));
        var profile = LinkProfile.Create("t", TimeSpan.FromMilliseconds(60), loss: 0.2);
        var delays = new List<long>();
        for (var seed = 0; seed < 500; seed++)
        {
            // A fresh connection each time, so nothing lost before holds this segment up.
            var flow = Flow(profile, new LinkQueue(null, Freq), seed);
            var now = _time.GetTimestamp();
            delays.Add(flow.Schedule(now, 500, segmentsBehind) - now);
        }

        var oneWay = Ticks(30);
        Assert.All(delays, d => Assert.True(d == oneWay || d >= oneWay + firstRepair,
            $"a segment took {d * 1000.0 / Freq:0.###} ms: neither on time nor one retransmission late"));
        var late = delays.Count(d => d > oneWay);
        Assert.InRange(late, 60, 140); // 20 % of 500, give or take what a seeded random does
        Assert.Contains(oneWay + firstRepair, delays); // the first repair is exactly one retransmission
        Assert.True(_counters.Losses >= late);
    }

    [Fact]
    public void Everything_behind_a_lost_segment_waits_for_it()
    {
        var profile = LinkProfile.Create("t", TimeSpan.FromMilliseconds(60), loss: 0.3);
        var flow = Flow(profile, new LinkQueue(null, Freq), seed: 7);
        var arrivals = new List<long>();
        for (var i = 0; i < 200; i++)
        {
            arrivals.Add(flow.Schedule(_time.GetTimestamp(), 100, 0));
            _time.Advance(TimeSpan.FromMilliseconds(1));
        }

        // Segments offered a millisecond apart would arrive a millisecond apart; after a loss, several arrive at once.
        var heldUp = arrivals.Zip(arrivals.Skip(1)).Count(pair => pair.First == pair.Second);
        Assert.True(heldUp > 20, $"only {heldUp} segments arrived together with the one ahead of them");
        Assert.Equal(arrivals.Order(), arrivals);
    }

    [Fact]
    public void Connections_on_one_link_queue_behind_each_other()
    {
        var profile = LinkProfile.Create("t", TimeSpan.FromMilliseconds(20), 1_000_000);
        var queue = new LinkQueue(profile.BitsPerSecond, Freq);
        var download = Flow(profile, queue);
        var message = Flow(profile, queue);
        var now = _time.GetTimestamp();

        for (var i = 0; i < 100; i++) download.Schedule(now, LinkEmulator.SegmentBytes, 99 - i);
        var arrival = message.Schedule(now, 100, 0);

        // 100 full segments (1500 bytes on the wire each) at 1 Mbit/s take 1.2 s to leave before the message can.
        var wireBits = (100 * (LinkEmulator.SegmentBytes + LinkFlow.HeaderBytes) + 140) * 8;
        Assert.True(arrival - now >= (long)((double)wireBits / 1_000_000 * Freq) + Ticks(10));
    }

    [Fact]
    public void Separate_links_do_not_queue_behind_each_other()
    {
        var profile = LinkProfile.Create("t", TimeSpan.FromMilliseconds(20), 1_000_000);
        var download = Flow(profile, new LinkQueue(profile.BitsPerSecond, Freq));
        var message = Flow(profile, new LinkQueue(profile.BitsPerSecond, Freq));
        var now = _time.GetTimestamp();

        for (var i = 0; i < 100; i++) download.Schedule(now, LinkEmulator.SegmentBytes, 99 - i);
        var arrival = message.Schedule(now, 100, 0);

        Assert.Equal(Ticks(10) + (long)Math.Ceiling(140 * 8.0 / 1_000_000 * Freq), arrival - now);
    }

    [Fact]
    public void A_connection_opens_one_round_trip_later_or_a_second_more_per_lost_handshake_packet()
    {
        var clean = LinkProfile.Create("t", TimeSpan.FromMilliseconds(250));
        var now = _time.GetTimestamp();
        Assert.Equal(now + Ticks(250), LinkFlow.Handshake(clean, now, Freq, new Random(1), _counters));

        var lossy = LinkProfile.Create("t", TimeSpan.FromMilliseconds(250), loss: 0.5);
        var opened = Enumerable.Range(0, 200).Select(seed => LinkFlow.Handshake(lossy, now, Freq, new Random(seed), _counters) - now).ToList();
        Assert.All(opened, d => Assert.True(d == Ticks(250) || d >= Ticks(1250)));
        Assert.Contains(Ticks(1250), opened);
        Assert.Contains(Ticks(250), opened);
    }
}
