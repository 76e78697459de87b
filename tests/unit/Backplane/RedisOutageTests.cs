using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using PushCompare.UnitTests.Infrastructure;

namespace PushCompare.UnitTests.Backplane;

/// <summary>A Redis of this class's own, so stopping it disturbs no other test.</summary>
public sealed class OutageApp : IAsyncLifetime
{
    public RedisServer Redis { get; private set; } = null!;
    public RedisApp App { get; private set; } = null!;
    public HttpClient Http { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Redis = await RedisServer.StartNewAsync();
        App = new RedisApp(Redis, "outage:", ("LongPolling:PollTimeout", "00:00:00.300")).Start();
        Http = App.CreateWireClient();
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await App.DisposeAsync();
        await Redis.DisposeAsync();
    }
}

/// <summary>
/// Redis stopped mid-run. Every session operation answers 503 with Retry-After and a sentence to act on
/// (never a 500, never a silent drop), the instance recovers by itself when Redis is back, and nothing acknowledged
/// with 202 before the outage is lost.
/// </summary>
public sealed class RedisOutageTests(OutageApp fixture) : IClassFixture<OutageApp>
{
    private readonly HttpClient _http = fixture.Http;

    [Fact]
    public async Task Redis_stopped_then_restarted_answers_503_with_Retry_After_meanwhile_and_loses_nothing_acknowledged()
    {
        var poll = await _http.OpenSessionAsync("?echo=exact");
        var sse = await _http.OpenStreamSessionAsync("?echo=exact");
        for (int seq = 1; seq <= 20; seq++)
        {
            await Send(poll.Id, "poll", seq, HttpStatusCode.Accepted);
            await Send(sse.Id, "sse", seq, HttpStatusCode.Accepted);
        }
        var firstBatch = await _http.PollBatchAsync(poll.Id, 0); // read but not acknowledged: it must survive too
        Assert.Equal(20, firstBatch.Cursor);

        await fixture.Redis.StopAsync();

        // Every session operation: open, send, poll, stream, acknowledge, close.
        await AssertUnavailable(await _http.PostAsync("/poll", null));
        await AssertUnavailable(await _http.PostAsync("/sse", null));
        await AssertUnavailable(await _http.PostAsync($"/poll/{poll.Id}?seq=21", Text("poll 21")));
        await AssertUnavailable(await _http.PostAsync($"/sse/{sse.Id}?seq=21", Text("sse 21")));
        await AssertUnavailable(await _http.PollAsync(poll.Id, 0));
        await AssertUnavailable(await _http.GetAsync($"/sse/{sse.Id}", HttpCompletionOption.ResponseHeadersRead));
        await AssertUnavailable(await _http.PostAsync($"/sse/{sse.Id}/ack?lastEventId=0", null));
        await AssertUnavailable(await _http.DeleteAsync($"/poll/{poll.Id}"));
        var health = await fixture.App.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(r => r.Tags.Contains("ready"));
        Assert.Equal(HealthStatus.Unhealthy, health.Entries["redis"].Status);

        await fixture.Redis.StartAsync();

        // The client repeats what got 503, unchanged; the instance reconnects by itself.
        await Eventually.AssertAsync(async () => (await _http.PostAsync($"/poll/{poll.Id}?seq=21", Text("poll 21"))).StatusCode == HttpStatusCode.Accepted,
            "the instance serves the session again after Redis restarts", TimeSpan.FromSeconds(30));
        await Send(sse.Id, "sse", 21, HttpStatusCode.Accepted);

        var batch = await _http.PollBatchAsync(poll.Id, 0);
        Assert.Equal(Enumerable.Range(1, 21).Select(i => $"poll {i}"), batch.Messages);
        await using var stream = await EventStream.OpenAsync(_http, sse.Id);
        for (int i = 1; i <= 21; i++) Assert.Equal(new ServerEvent("message", $"{i}", $"sse {i}", null), await stream.NextMessageAsync());
        var ready = await fixture.App.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(r => r.Tags.Contains("ready"));
        Assert.Equal(HealthStatus.Healthy, ready.Entries["redis"].Status);
    }

    [Fact]
    public async Task A_send_that_timed_out_on_a_frozen_Redis_still_reaches_the_stream_held_on_its_instance_once_Redis_wakes()
    {
        var session = await _http.OpenStreamSessionAsync("?echo=exact");
        await using var stream = await EventStream.OpenAsync(_http, session.Id);
        Assert.Equal("heartbeat", (await stream.NextAsync())!.Type);
        await fixture.App.WaitUntilReadAsync(session.Id);

        fixture.Redis.Pause();
        try
        {
            // The send's script waits in Redis's socket and runs when it wakes, after the instance stopped waiting for it:
            // the message it hands to the stream (on this same instance) comes back in an answer nobody reads.
            await AssertUnavailable(await _http.PostAsync($"/sse/{session.Id}?seq=1", Text("while frozen")));
        }
        finally
        {
            fixture.Redis.Resume();
        }

        Assert.Equal(new ServerEvent("message", "1", "while frozen", null), await stream.NextMessageAsync());
    }

    [Fact]
    public async Task Redis_frozen_so_commands_time_out_answers_503_with_Retry_After_then_recovers()
    {
        var session = await _http.OpenSessionAsync("?echo=exact");
        await Send(session.Id, "poll", 1, HttpStatusCode.Accepted);

        fixture.Redis.Pause();
        try
        {
            await AssertUnavailable(await _http.PostAsync($"/poll/{session.Id}?seq=2", Text("poll 2")));
            await AssertUnavailable(await _http.PollAsync(session.Id, 0));
        }
        finally
        {
            fixture.Redis.Resume();
        }

        // The timed-out send may or may not have reached Redis: repeating the same seq is answered once either way.
        await Eventually.AssertAsync(async () => (await _http.PostAsync($"/poll/{session.Id}?seq=2", Text("poll 2"))).StatusCode == HttpStatusCode.Accepted,
            "the instance serves the session again once Redis answers", TimeSpan.FromSeconds(30));
        Assert.Equal(["poll 1", "poll 2"], (await _http.PollBatchAsync(session.Id, 0)).Messages);
    }

    private async Task Send(string id, string path, int seq, HttpStatusCode expected)
    {
        var prefix = path == "poll" ? "/poll" : "/sse";
        var response = await _http.PostAsync($"{prefix}/{id}?seq={seq}", Text($"{path} {seq}"));
        Assert.Equal(expected, response.StatusCode);
    }

    private static StringContent Text(string text) => new(text, System.Text.Encoding.UTF8, "text/plain");

    internal static async Task AssertUnavailable(HttpResponseMessage response)
    {
        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.ServiceUnavailable);
        Assert.Equal("1", response.Headers.GetValues("Retry-After").Single());
        Assert.Contains("Retry-After", ProblemAssert.Detail(problem));
    }
}
