using System.Net;
using PushCompare.UnitTests.Infrastructure;

namespace PushCompare.UnitTests.Backplane;

/// <summary>
/// With a shared store, an instance that stops ends its held polls and open streams at once and closes no
/// session: the clients carry on through another instance and nothing accepted with 202 is lost.
/// </summary>
public sealed class RedisDrainTests
{
    [Fact]
    public async Task A_stopping_instance_releases_its_readers_and_the_sessions_carry_on_through_another()
    {
        var redis = await RedisServer.SharedAsync();
        string prefix = RedisServer.NewPrefix();
        (string, string)[] settings = [("LongPolling:PollTimeout", "00:00:30"), ("ServerSentEvents:HeartbeatInterval", "00:00:30"),
            ("Sessions:ShutdownDrainTimeout", "00:00:05")]; // the shipped drain, which this test is about
        await using var a = new RedisApp(redis, prefix, settings).Start();
        await using var b = new RedisApp(redis, prefix, settings).Start();
        using var httpA = a.CreateWireClient();
        using var httpB = b.CreateWireClient();

        var poll = await httpA.OpenSessionAsync("?echo=exact");
        var sse = await httpA.OpenStreamSessionAsync("?echo=exact");
        await httpA.SendAcceptedAsync(poll.Id, "before");
        Assert.Equal(["before"], (await httpA.PollBatchAsync(poll.Id, 0)).Messages); // read, not yet acknowledged
        var held = httpA.PollAsync(poll.Id, 1);
        await a.WaitUntilReadAsync(poll.Id);
        var stream = await EventStream.OpenAsync(httpA, sse.Id);
        Assert.Equal("heartbeat", (await stream.NextAsync())!.Type);

        var stopping = a.AppHost!.StopAsync();

        // The held poll is answered 503 + Retry-After at once (not after 30 s), the stream ends: both go elsewhere.
        var released = await ProblemAssert.IsProblemAsync(await held.Within("the held poll is released"), HttpStatusCode.ServiceUnavailable);
        Assert.Contains("another instance", ProblemAssert.Detail(released));
        Assert.Null(await stream.NextAsync(TimeSpan.FromSeconds(10))); // end of stream
        await stopping.Within("instance A stops", TimeSpan.FromSeconds(20));
        await stream.DisposeAsync();

        await httpB.SendAcceptedAsync(poll.Id, "after");
        var batch = await httpB.PollBatchAsync(poll.Id, 1);
        Assert.Equal(["after"], batch.Messages);
        await httpB.SendStreamAcceptedAsync(sse.Id, "on B", "?seq=1");
        await using var resumed = await EventStream.OpenAsync(httpB, sse.Id);
        Assert.Equal(new ServerEvent("message", "1", "on B", null), await resumed.NextMessageAsync());
    }
}
