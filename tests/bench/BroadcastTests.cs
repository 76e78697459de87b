using PushCompare.Bench;

namespace PushCompare.BenchTests;

/// <summary>The broadcast benchmark, <c>--broadcast</c>: one publisher, every client subscribed to one topic, the push checks unchanged.</summary>
public sealed class BroadcastTests
{
    [Theory]
    [InlineData("echo")]
    [InlineData("idle")]
    public async Task Broadcast_is_refused_outside_push_and_lubbers(string scenario)
    {
        var output = new StringWriter();
        int exit = await BenchApp.RunAsync([scenario, "--broadcast"], output);

        Assert.NotEqual(0, exit);
        Assert.Contains("--broadcast applies to the push and lubbers scenarios only", output.ToString());
    }

    [Fact]
    public async Task Broadcast_is_refused_against_the_node_peer_which_has_no_topics()
    {
        var output = new StringWriter();
        int exit = await BenchApp.RunAsync(["push", "--broadcast", "--peer", "node"], output);

        Assert.NotEqual(0, exit);
        Assert.Contains("--broadcast needs the app's /topics", output.ToString());
    }

    [Fact]
    public async Task Every_subscriber_on_every_transport_gets_every_publish_once_and_each_publish_reaches_all_of_them()
    {
        var bench = (await BenchRun.StartAsync("push", "--broadcast", "-t", "websocket,longpoll,shortpoll,sse", "-c", "3", "-d", "1.5",
            "--warmup", "0.5", "--interval", "200", "--poll-interval", "100", "--server-arg", "LongPolling:PollTimeout=00:00:10")).Passed();

        Assert.Equal(4, bench.Runs.Count);
        foreach (var run in bench.Runs)
        {
            Assert.True(run.Window.Received > 0, $"{run.Transport}: nothing received");
            Assert.Equal(0, run.Totals.Lost);
            Assert.Equal(0, run.Totals.Duplicates);
            Assert.NotNull(run.Latency);
            var published = run.Broadcast!;
            Assert.Equal("bench-broadcast", published.Topic);
            Assert.True(published.Published > 0, $"{run.Transport}: nothing published");
            Assert.Equal(0, published.Refused);
            Assert.Equal((3, 3), (published.MinSubscribers, published.MaxSubscribers)); // every publish reached all three
            // Gap-free (above) and never more than was published: each client got ticks 1..k of the publisher's own.
            Assert.True(run.Totals.Received <= 3 * published.Published, $"{run.Transport}: {run.Totals.Received} received of {published.Published} published to 3");
        }
        Assert.Contains("push broadcast websocket C=3", bench.Output);
        Assert.Contains("/topics/bench-broadcast", bench.Output);
    }
}
