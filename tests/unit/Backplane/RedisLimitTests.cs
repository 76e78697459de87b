using System.Net;
using PushCompare.UnitTests.Infrastructure;

namespace PushCompare.UnitTests.Backplane;

/// <summary>Two instances sharing sessions with small limits: 1 s idle timeout, 2 sessions, 3 unacknowledged messages.</summary>
public sealed class LimitedInstances() : InstancePair([("Sessions:IdleTimeout", "00:00:01"), ("LongPolling:PollTimeout", "00:00:10"),
    ("Sessions:MaxSessions", "2"), ("Sessions:MaxBacklogMessages", "3")]);

/// <summary>Expiry and limits hold for the deployment as a whole, whichever instance a request lands on.</summary>
[Collection(RedisLimitsCollection.Name)]
public sealed class RedisLimitTests(LimitedInstances apps) : IClassFixture<LimitedInstances>
{
    private readonly HttpClient _a = apps.HttpA, _b = apps.HttpB;

    [Fact]
    public async Task An_unpolled_session_expires_while_one_with_a_poll_held_on_another_instance_survives()
    {
        var held = await _a.OpenSessionAsync();
        var heldPoll = _a.PollAsync(held.Id, 0);
        await apps.A.WaitUntilReadAsync(held.Id);
        var idle = await _b.OpenSessionAsync();

        // Probed in Redis itself (any request would be activity, or fill the 3-message backlog): its TTL runs out.
        await Eventually.AssertAsync(async () => await apps.A.Redis.CommandAsync($"EXISTS {apps.A.SessionKey(idle.Id)}") == ":0",
            "the unpolled session expires");
        var gone = await ProblemAssert.IsProblemAsync(await _a.PollAsync(idle.Id, 0), HttpStatusCode.Gone);
        Assert.Contains("expired", ProblemAssert.Detail(gone));

        // Instance A refreshed the held session's expiry in Redis: it outlived the idle one.
        Assert.False(heldPoll.IsCompleted, "the held poll ended early");
        await _b.SendAcceptedAsync(held.Id, "still here");
        Assert.Equal(["Received: still here"], (await PollingClient.ReadBatchAsync(await heldPoll.Within("the held poll answers"))).Messages);
        await _a.DeleteSessionAsync(held.Id);
    }

    [Fact]
    public async Task MaxSessions_counts_the_sessions_of_every_instance()
    {
        // Each session is read (a held poll) so it outlives the 1 s idle timeout however slow the box: a session that
        // expired between two opens would make room and hide the limit.
        var first = await _a.OpenSessionAsync();
        var firstPoll = _a.PollAsync(first.Id, 0);
        await apps.A.WaitUntilReadAsync(first.Id);
        var second = await _b.OpenStreamSessionAsync();
        var secondPoll = _b.PollAsync(second.Id, 0);
        await apps.B.WaitUntilReadAsync(second.Id);

        var refused = await _a.PostAsync("/poll", null);
        await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.ServiceUnavailable);
        Assert.True(refused.Headers.Contains("Retry-After"));

        Assert.Equal(HttpStatusCode.NoContent, (await _a.DeleteAsync($"/sse/{second.Id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await secondPoll.Within("the held poll ends with its session")).StatusCode);
        var third = await _b.OpenSessionAsync(); // room again, on the other instance
        await _a.DeleteSessionAsync(first.Id);
        Assert.Equal(HttpStatusCode.NoContent, (await firstPoll.Within("the held poll ends with its session")).StatusCode);
        await _b.DeleteSessionAsync(third.Id);
    }

    [Fact]
    public async Task A_full_backlog_closes_the_session_and_every_instance_says_why()
    {
        var session = await _a.OpenSessionAsync();
        var poll = _b.PollAsync(session.Id, 0);
        await apps.A.WaitUntilReadAsync(session.Id);
        // The held poll takes the first message; unacknowledged, it still counts: three fit, the fourth does not.
        await _a.SendAcceptedAsync(session.Id, "1");
        Assert.Equal(["Received: 1"], (await PollingClient.ReadBatchAsync(await poll.Within("the held poll answers"))).Messages);
        await _b.SendAcceptedAsync(session.Id, "2");
        await _a.SendAcceptedAsync(session.Id, "3");

        var full = await ProblemAssert.IsProblemAsync(await _b.SendAsync(session.Id, "4"), HttpStatusCode.Gone);
        Assert.Contains("backlog passed its limit (3 messages", ProblemAssert.Detail(full));
        var later = await ProblemAssert.IsProblemAsync(await _a.PollAsync(session.Id, 0), HttpStatusCode.Gone);
        Assert.Equal(ProblemAssert.Detail(full), ProblemAssert.Detail(later));
    }

    [Fact]
    public async Task Broadcasts_that_overflow_a_subscribers_backlog_close_it_with_the_reason_and_unsubscribe_it()
    {
        string topic = $"overflow-{Guid.NewGuid():N}";
        var session = await _a.OpenSessionAsync($"?topic={topic}");
        // A publish is written once into the topic's log whatever the number of subscribers, so it counts the
        // subscribed session; the session takes the broadcasts into its own log when read: three unacknowledged
        // messages fit, the fourth closes it then, with the reason, and unsubscribes it.
        for (int i = 1; i <= 4; i++) Assert.Equal(1, await Topics.TopicClient.PublishAcceptedAsync(_b, topic, $"b{i}"));

        var gone = await ProblemAssert.IsProblemAsync(await _a.PollAsync(session.Id, 0), HttpStatusCode.Gone);
        Assert.Contains("backlog passed its limit (3 messages", ProblemAssert.Detail(gone));
        Assert.Equal(":0", await apps.A.Redis.CommandAsync($"ZCARD {apps.A.Prefix}topic:{{{topic}}}:sessions"));
        await Eventually.AssertAsync(() => RedisTopicTests.Count(apps.A, topic) == 0, "A no longer counts the closed subscriber");
    }
}

/// <summary>The limit tests share two sessions of room: one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RedisLimitsCollection
{
    public const string Name = "Redis limits";
}
