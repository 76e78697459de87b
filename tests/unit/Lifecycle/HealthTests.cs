using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using PushCompare.UnitTests.Infrastructure;

namespace PushCompare.UnitTests.Lifecycle;

/// <summary>
/// Health: <c>/healthz</c> says the process answers, <c>/readyz</c> that every readiness check passes; from
/// SIGTERM on <c>/readyz</c> fails while the instance keeps serving for Health:DrainGrace, and only then drains.
/// </summary>
public sealed class HealthTests
{
    /// <summary>A 4-minute drain grace on a fake clock, so the test decides when the grace is over.</summary>
    private sealed class GraceApp : TestClockApp
    {
        public GraceApp() : base(("Health:DrainGrace", "00:04:00"))
        {
            StartOnKestrel();
        }
    }

    [Fact]
    public async Task Live_and_ready_answer_200_uncached_and_name_the_readiness_checks()
    {
        await using var app = new AppFactory();
        using var http = app.CreateClient();

        using var live = await http.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Contains("no-store", live.Headers.CacheControl?.ToString());
        var liveBody = await live.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Healthy", liveBody.GetProperty("status").GetString());
        Assert.Empty(liveBody.GetProperty("checks").EnumerateObject()); // live runs no check: the answer is the proof

        using var ready = await http.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Contains("no-store", ready.Headers.CacheControl?.ToString());
        var checks = (await ready.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("checks");
        Assert.Equal("Healthy", checks.GetProperty("draining").GetProperty("status").GetString());
    }

    [Fact]
    public async Task After_SIGTERM_readyz_fails_at_once_while_everything_is_still_served_until_the_grace_is_over()
    {
        await using var app = new GraceApp();
        using var http = new HttpClient { BaseAddress = app.KestrelAddress };
        var session = await http.OpenSessionAsync();

        var stopped = app.AppHost!.StopAsync(); // what SIGTERM does

        await Eventually.AssertAsync(async () => (await http.GetAsync("/readyz")).StatusCode == HttpStatusCode.ServiceUnavailable,
            "/readyz fails once shutdown is requested");
        var body = await (await http.GetAsync("/readyz")).Content.ReadFromJsonAsync<JsonElement>();
        var draining = body.GetProperty("checks").GetProperty("draining");
        Assert.Equal("Unhealthy", draining.GetProperty("status").GetString());
        Assert.Contains("shutting down", draining.GetProperty("description").GetString());
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/healthz")).StatusCode); // alive all the same

        // Within the grace the instance serves as before: a new session opens, an old one echoes, a WebSocket connects.
        var late = await http.OpenSessionAsync();
        await http.SendAcceptedAsync(session.Id, "during the grace");
        Assert.Equal(["Received: during the grace"], (await http.PollBatchAsync(session.Id, 0)).Messages);
        // Ended here, so the drain after the grace has nothing to wait for (its timeout runs on the fake clock too).
        Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteSessionAsync(session.Id)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteSessionAsync(late.Id)).StatusCode);
        using (var socket = new System.Net.WebSockets.ClientWebSocket())
        {
            await socket.ConnectAsync(new Uri($"ws://{app.KestrelAddress.Authority}/ws"), CancellationToken.None);
            Assert.Equal("Received: hi", await socket.EchoTextAsync("hi"));
            Assert.False(stopped.IsCompleted);

            app.Clock.Advance(TimeSpan.FromMinutes(4)); // the grace is over: the drain begins
            var close = await socket.ReceiveMessageAsync();
            Assert.Equal(System.Net.WebSockets.WebSocketCloseStatus.EndpointUnavailable, close.CloseStatus);
            await socket.CompleteCloseAsync();
        }
        await stopped.Within("the host stops once the grace is over and the sessions drained", TimeSpan.FromSeconds(30));
    }
}
