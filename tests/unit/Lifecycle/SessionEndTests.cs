using System.Net;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using PushCompare.UnitTests.Infrastructure;
using PushCompare.UnitTests.Metering;
using PushCompare.Web.Polling;
using PushCompare.Web.Sessions;
using PushCompare.Web.Messaging;

namespace PushCompare.UnitTests.Lifecycle;

/// <summary>Work and memory end with their session, and shutdown hears of every session.</summary>
public sealed class SessionEndTests
{
    [Fact]
    public async Task A_push_stream_an_hour_apart_stops_when_its_session_expires_and_the_session_is_freed()
    {
        await using var app = new TestClockApp(("Sessions:IdleTimeout", "00:00:00.200"));
        var http = app.CreateClient();
        var store = app.Services.GetRequiredService<SessionStore>();
        var session = await http.OpenSessionAsync("?push=3600000"); // the next tick is an hour away
        var weak = Track(store, session.Id);

        // Nobody polls: the session expires, is swept, and nothing may keep it alive until that tick.
        app.Clock.Advance(TimeSpan.FromMilliseconds(300)); // past the idle timeout and the sweep after it
        await Eventually.AssertAsync(() => store.Find(session.Id).Session is null, "the expired session is swept");
        await Eventually.AssertAsync(() =>
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true);
            GC.WaitForPendingFinalizers();
            return !weak.IsAlive;
        }, "the swept session's memory is released");
        await ProblemAssert.IsProblemAsync(await http.PollAsync(session.Id, 0), HttpStatusCode.Gone);
    }

    // Not inlined, so no local of this frame keeps the session reachable.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference Track(SessionStore store, string id) => new(store.Find(id).Session!);

    [Fact]
    public async Task A_session_opened_while_the_drain_begins_is_drained_too_so_shutdown_never_waits_out_its_timeout()
    {
        // A fake clock never lets the drain time out: a session the drain missed would hang it for good.
        for (int round = 0; round < 200; round++)
        {
            var store = new SessionStore(Options.Create(new MessageSessionOptions { MaxSessions = 1_000_000 }), new SessionIds(), new FakeTimeProvider());
            using var stop = new CancellationTokenSource();
            var opened = new System.Collections.Concurrent.ConcurrentBag<MessageSession>();
            var openers = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
            {
                while (!stop.IsCancellationRequested && !store.IsDraining)
                    if (store.TryOpen(PollingTransports.LongPoll, EchoMode.Prefixed, TimeSpan.FromSeconds(25), out var s)) opened.Add(s);
                // A few more attempts once the drain is visible: they must all be refused or drained.
                for (int i = 0; i < 50; i++)
                    if (store.TryOpen(PollingTransports.LongPoll, EchoMode.Prefixed, TimeSpan.FromSeconds(25), out var s)) opened.Add(s);
            })).ToArray();
            await Eventually.AssertAsync(() => !opened.IsEmpty, "sessions are being opened");

            await store.DrainAsync(TimeSpan.FromMinutes(5), CancellationToken.None).WaitAsync(Eventually.DefaultDeadline)
                .ContinueWith(t => Assert.True(t.IsCompletedSuccessfully, $"round {round}: the drain did not complete: a session opened during it was missed"));
            await stop.CancelAsync();
            await Task.WhenAll(openers);
            Assert.All(opened, s => Assert.NotNull(s.CloseReason));
            Assert.Equal(0, store.OpenCount);
        }
    }

    [Fact]
    public async Task The_open_session_gauge_counts_every_session_beyond_the_tracked_ones()
    {
        await using var app = new MeteredApp(("Metering:MaxTrackedSessions", "2"));
        using var http = new HttpClient { BaseAddress = app.BaseAddress };
        for (int i = 0; i < 5; i++) await http.OpenSessionAsync();
        for (int i = 0; i < 3; i++) await http.OpenSessionAsync("?wait=0");

        var stats = await app.StatsAsync();
        Assert.Equal(5, stats["transports"]!["longpoll"]!["sessions"]!.GetValue<int>());
        Assert.Equal(3, stats["transports"]!["shortpoll"]!["sessions"]!.GetValue<int>());
        Assert.Equal(2, stats["sessionsTracked"]!.GetValue<int>());
        Assert.Equal(6, stats["sessionsUntracked"]!.GetValue<long>());
    }
}
