using System.Net;
using PushCompare.UnitTests.Infrastructure;
using PushCompare.UnitTests.Topics;
using Xunit.Abstractions;

namespace PushCompare.UnitTests.Cluster;

/// <summary>
/// The round-robin cluster (three instances behind the gateway) on a real three-master Redis Cluster: every script runs
/// on the one hash slot of the keys it is given (a script that reached another slot would fail with CROSSSLOT), so
/// the same faults lose and duplicate nothing, and broadcasts reach sessions read through any instance.
/// </summary>
[Collection(ClusterFailureCollection.Name)]
public sealed class RedisClusterTests(RedisClusterBackplane cluster, ITestOutputHelper output) : IClassFixture<RedisClusterBackplane>
{
    [Theory]
    [InlineData("longpoll")]
    [InlineData("sse")]
    // 2,000: one session is one hash slot, so more of the same messages add minutes of the suite and nothing about
    // slots; the fifty sessions below spread over the cluster's slots.
    public Task Two_thousand_messages_through_one_session_arrive_exactly_once_in_order(string transport) =>
        ClusterFaultTests.OneSessionAsync(cluster, transport, output, messages: 2_000);

    [Theory]
    [InlineData("longpoll")]
    [InlineData("sse")]
    public Task Fifty_sessions_of_200_messages_arrive_exactly_once_in_order(string transport) =>
        ClusterFaultTests.FiftySessionsAsync(cluster, transport, output);

    [Fact]
    public async Task Broadcasts_reach_a_long_poll_and_an_event_stream_exactly_once_in_order()
    {
        const int Publishes = 30;
        string topic = $"cluster-{Guid.NewGuid():N}";
        using var http = cluster.CreateClient();
        var poll = await http.OpenSessionAsync($"?topic={topic}");
        var sse = await http.OpenStreamSessionAsync($"?topic={topic}");
        await using var stream = await EventStream.OpenAsync(http, sse.Id);
        using var held = cluster.CreateClient();
        held.Timeout = TimeSpan.FromMinutes(1);
        var polled = held.PollUntilAsync(poll.Id, Publishes);
        var streamed = stream.ReadMessagesAsync(Publishes);

        // Published through whichever instance the gateway picks; both sessions are subscribed on every one of them.
        for (int i = 1; i <= Publishes; i++) Assert.Equal(2, await http.PublishAcceptedAsync(topic, $"news {i}"));

        var expected = Enumerable.Range(1, Publishes).Select(i => $"news {i}").ToList();
        Assert.Equal(expected, await polled.Within("the long poll collects every broadcast", TimeSpan.FromSeconds(60)));
        Assert.Equal(expected, await streamed.Within("the stream receives every broadcast", TimeSpan.FromSeconds(60)));
        Assert.Equal(HttpStatusCode.NoContent, (await http.GetAsync($"/poll/{poll.Id}?cursor={Publishes}&wait=0")).StatusCode);
    }
}
