using System.Net;
using PushCompare.UnitTests.Infrastructure;

namespace PushCompare.UnitTests.ServerSentEvents;

/// <summary>An SSE session's life — expiry while no stream is open, and the shutdown that stops EventSource for good.</summary>
public sealed class LifecycleTests
{
    private sealed class StoppableApp : AppFactory
    {
        public StoppableApp() : base(("Sessions:ShutdownDrainTimeout", "00:00:20"), ("ServerSentEvents:ReconnectDelay", "00:00:00.100"))
        {
            StartOnKestrel();
        }
    }

    [Fact]
    public async Task Shutdown_ends_streams_and_the_reconnect_that_acknowledges_everything_gets_204_so_nothing_is_lost()
    {
        await using var app = new StoppableApp();
        using var http = new HttpClient { BaseAddress = app.KestrelAddress };
        var busy = await http.OpenStreamSessionAsync("?echo=exact");
        var idle = await http.OpenStreamSessionAsync();
        await using var busyStream = await EventStream.OpenAsync(http, busy.Id);
        await using var idleStream = await EventStream.OpenAsync(http, idle.Id);
        for (int seq = 1; seq <= 3; seq++) await http.SendStreamAcceptedAsync(busy.Id, $"m{seq}", $"?seq={seq}");

        var stopped = app.AppHost!.StopAsync(); // what SIGTERM does

        // Both streams end; the busy one first writes everything it holds.
        var seen = new List<string>();
        while (await busyStream.NextMessageAsync() is { } e) seen.Add(e.Data);
        Assert.Equal(["m1", "m2", "m3"], seen);
        Assert.Null(await idleStream.NextMessageAsync());

        // EventSource's reconnect, carrying the last id it processed, acknowledges the rest and is told to stop (204).
        // The idle one first: once the busy one has acknowledged, every session is drained and the server may stop.
        var (idleAgain, _) = await EventStream.TryOpenAsync(http, idle.Id);
        Assert.Equal(HttpStatusCode.NoContent, idleAgain.StatusCode);
        var (busyAgain, _) = await EventStream.TryOpenAsync(http, busy.Id, lastEventId: "3");
        Assert.Equal(HttpStatusCode.NoContent, busyAgain.StatusCode);

        // Every session drained, so the host stops without waiting out the 20 s drain timeout.
        await stopped.WaitAsync(Eventually.DefaultDeadline);
    }

    [Fact]
    public async Task A_client_that_never_reconnects_is_named_in_the_close_once_the_drain_times_out()
    {
        var drainTimeout = TimeSpan.FromMilliseconds(300);
        await using var app = new TestClockApp(("Sessions:ShutdownDrainTimeout", drainTimeout.ToString()));
        var http = app.CreateClient();
        var session = await http.OpenStreamSessionAsync("?echo=exact");
        for (int seq = 1; seq <= 2; seq++) await http.SendStreamAcceptedAsync(session.Id, $"m{seq}", $"?seq={seq}");
        var store = (PushCompare.Web.Sessions.SessionStore)app.Services.GetService(typeof(PushCompare.Web.Sessions.SessionStore))!;

        var stopped = app.AppHost!.StopAsync();
        await app.Clock.AdvanceArmedAsync(drainTimeout); // the drain waits for the client; it never comes
        await stopped.Within("the host stops once the drain times out");

        Assert.Contains("messages 1..2 were acknowledged", store.Find(session.Id).Session!.CloseReason);
    }

    [Fact]
    public async Task A_session_without_a_stream_expires_while_one_with_an_open_stream_does_not()
    {
        await using var app = new TestClockApp(("Sessions:IdleTimeout", "00:00:01"), ("ServerSentEvents:HeartbeatInterval", "00:00:00.200"));
        var http = app.CreateClient();
        var streaming = await http.OpenStreamSessionAsync();
        var abandoned = await http.OpenStreamSessionAsync();
        await using var stream = await EventStream.OpenAsync(http, streaming.Id);

        // Watched through the store: any request to the session would count as activity and keep it alive.
        var store = (PushCompare.Web.Sessions.SessionStore)app.Services.GetService(typeof(PushCompare.Web.Sessions.SessionStore))!;
        app.Clock.Advance(TimeSpan.FromSeconds(1.5)); // past the idle timeout and the sweep after it, heartbeats on the way
        await Eventually.AssertAsync(() => store.Find(abandoned.Id).Session is not { CloseReason: null }, "the session nobody streams expires",
            TimeSpan.FromSeconds(15));
        var (gone, _) = await EventStream.TryOpenAsync(http, abandoned.Id);
        await ProblemAssert.IsProblemAsync(gone, HttpStatusCode.Gone);

        // Its neighbour outlived the idle timeout with its stream open, and still answers.
        await http.SendStreamAcceptedAsync(streaming.Id, "alive", "?seq=1");
        Assert.Equal("Received: alive", (await stream.NextMessageAsync())!.Data);
    }
}
