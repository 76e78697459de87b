using System.Net;
using System.Text;
using PushCompare.UnitTests.Infrastructure;

namespace PushCompare.UnitTests.Backplane;

/// <summary>
/// Two instances whose periodic upkeep leaves a session alone for minutes (a long idle timeout), so what Redis's MONITOR
/// shows for a session's key during a request is that request's own work.
/// </summary>
public sealed class QuietInstances() : InstancePair([("LongPolling:PollTimeout", "00:00:30"), ("ServerSentEvents:HeartbeatInterval", "00:00:30"),
    ("Sessions:IdleTimeout", "00:10:00")]);

/// <summary>
/// What each session operation sends Redis, counted by Redis itself (MONITOR), and what it leaves there. Sends that
/// acknowledge go to <c>/sse/{id}</c> (the transport whose sends carry <c>ack=</c>); any transport serves any session.
/// </summary>
public sealed class RedisRoundTripTests(QuietInstances apps) : IClassFixture<QuietInstances>
{
    private readonly HttpClient _a = apps.HttpA, _b = apps.HttpB;

    [Fact]
    public async Task A_send_with_ack_is_one_round_trip_that_acknowledges_and_queues()
    {
        var session = await _a.OpenSessionAsync();
        await Accepted(_a.PostAsync($"/poll/{session.Id}?seq=1", Text("one")));
        Assert.Equal(["Received: one"], (await _b.PollBatchAsync(session.Id, 0)).Messages);

        await using var monitor = await RedisMonitor.StartAsync(apps.A.Redis);
        await Accepted(_a.PostAsync($"/sse/{session.Id}?seq=2&ack=1", Text("two")));
        var sent = SentBy(await monitor.CommandsAsync(), apps.A.SessionKey(session.Id));

        Assert.Equal(["evalsha"], sent); // the acknowledgement and the message in one script
        // Both happened: message 1 is acknowledged (a poll from before it is refused), message 2 is queued.
        await ProblemAssert.IsProblemAsync(await _b.PollAsync(session.Id, 0), HttpStatusCode.BadRequest);
        var batch = await _b.PollBatchAsync(session.Id, 1);
        Assert.Equal(["Received: two"], batch.Messages);
        Assert.Equal(2, batch.Cursor);
    }

    [Fact]
    public async Task A_send_whose_ack_is_ahead_is_refused_whole_and_its_seq_stays_free()
    {
        var session = await _a.OpenSessionAsync();
        var refused = await ProblemAssert.IsProblemAsync(await _a.PostAsync($"/sse/{session.Id}?seq=1&ack=5", Text("early")), HttpStatusCode.BadRequest);
        Assert.Contains("ack=5 is ahead of the last message sent (0)", ProblemAssert.Detail(refused));

        await Accepted(_b.PostAsync($"/poll/{session.Id}?seq=1", Text("again"))); // 202, not a duplicate: nothing was taken
        Assert.Equal(["Received: again"], (await _a.PollBatchAsync(session.Id, 0)).Messages);
    }

    [Theory]
    [InlineData(true)]  // held on the sending instance: handed over there, no PUBLISH
    [InlineData(false)] // held on the other instance: one PUBLISH to it
    public async Task A_reply_for_a_held_poll_is_published_only_when_the_poll_is_held_on_another_instance(bool heldOnSender)
    {
        var session = await _a.OpenSessionAsync();
        var poll = (heldOnSender ? _a : _b).PollAsync(session.Id, 0);
        await apps.A.WaitUntilReadAsync(session.Id);

        await using var monitor = await RedisMonitor.StartAsync(apps.A.Redis);
        await Accepted(_a.PostAsync($"/poll/{session.Id}?seq=1", Text("reply")));
        var batch = await PollingClient.ReadBatchAsync(await poll.Within("the held poll answers"));
        var ran = await monitor.CommandsAsync();

        Assert.Equal(["Received: reply"], batch.Messages);
        Assert.Equal(heldOnSender ? 0 : 1, ran.Count(line => Command(line) == "publish" && line.Contains(session.Id, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Acknowledged_messages_are_deleted_from_the_sessions_hash_a_few_at_a_time()
    {
        var session = await _a.OpenSessionAsync("?echo=exact");
        for (int seq = 1; seq <= 20; seq++) await Accepted(_a.PostAsync($"/poll/{session.Id}?seq={seq}", Text($"m{seq}")));
        Assert.Equal(20, (await _b.PollBatchAsync(session.Id, 0)).Cursor);
        for (int cursor = 1; cursor <= 20; cursor++) await Accepted(_b.PostAsync($"/sse/{session.Id}?ack={cursor}&seq={20 + cursor}", Text("x")));

        string key = apps.A.SessionKey(session.Id);
        // 20 acknowledged: deleted in batches of 8, so 1..16 are gone; 17..20 wait for the next batch; 21.. are unread.
        for (int n = 1; n <= 16; n++) Assert.Equal(":0", await apps.A.Redis.CommandAsync($"HEXISTS {key} m{n}"));
        Assert.Equal(":1", await apps.A.Redis.CommandAsync($"HEXISTS {key} m17"));
        Assert.Equal(":1", await apps.A.Redis.CommandAsync($"HEXISTS {key} m40"));
        // What lingers is never read again: a poll after 20 starts at 21.
        var rest = await _a.PollBatchAsync(session.Id, 20);
        Assert.Equal(Enumerable.Repeat("x", 20), rest.Messages);
    }

    private static StringContent Text(string text) => new(text, Encoding.UTF8, "text/plain");

    private static async Task Accepted(Task<HttpResponseMessage> sending)
    {
        var response = await sending;
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    // The commands the instances sent about `key` (not those their scripts ran), lower case.
    private static List<string> SentBy(List<string> ran, string key) =>
        [.. ran.Where(line => !line.Contains("[0 lua]", StringComparison.Ordinal) && line.Contains($"\"{key}\"", StringComparison.Ordinal)).Select(Command)];

    // `1701234567.123456 [0 127.0.0.1:50000] "EVALSHA" "…" …` → "evalsha".
    private static string Command(string line)
    {
        int start = line.IndexOf("] \"", StringComparison.Ordinal) + 3;
        return line[start..line.IndexOf('"', start)].ToLowerInvariant();
    }
}
