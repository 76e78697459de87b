using System.Net;
using PushCompare.UnitTests.Infrastructure;

namespace PushCompare.UnitTests.Security;

public sealed class RateLimitedApp() : AppFactory(("Security:ConnectBurst", "3"), ("Security:ConnectsPerSecond", "1"));

/// <summary>One client address cannot open connections or sessions without bound (429 + Retry-After).</summary>
public sealed class RateLimitTests
{
    [Fact]
    public async Task Opening_sessions_past_the_burst_gets_429_with_Retry_After_and_existing_sessions_keep_working()
    {
        using var app = new RateLimitedApp();
        var http = app.CreateClient();
        var sessions = new List<OpenedSession>();
        for (int i = 0; i < 3; i++) sessions.Add(await http.OpenSessionAsync());

        var refused = await http.PostAsync("/poll", null);

        await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.TooManyRequests);
        Assert.True(refused.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), "Retry-After must say when to come back");
        await http.SendAcceptedAsync(sessions[0].Id, "still served"); // only new connections are limited
        Assert.Equal(["Received: still served"], (await http.PollBatchAsync(sessions[0].Id, 0)).Messages);
    }

    [Fact]
    public async Task New_WebSocket_connections_share_the_same_limit()
    {
        using var app = new RateLimitedApp();
        var sockets = new List<System.Net.WebSockets.WebSocket>();
        for (int i = 0; i < 3; i++) sockets.Add(await app.ConnectWebSocketAsync());

        var refused = await Assert.ThrowsAnyAsync<Exception>(() => app.ConnectWebSocketAsync());

        Assert.Contains("429", refused.Message);
        Assert.Equal("Received: open", await sockets[0].EchoTextAsync("open"));
    }
}
