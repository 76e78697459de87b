using System.Net;
using Microsoft.Extensions.DependencyInjection;
using PushCompare.UnitTests.Infrastructure;
using PushCompare.Web.Polling;
using PushCompare.Web.Sessions;
using Xunit.Abstractions;

namespace PushCompare.UnitTests.Lifecycle;

// On a test clock: the sessions expire when the test advances it, however long opening 10,000 of them takes on a loaded box.
public sealed class AbandonApp() : TestClockApp(("Sessions:IdleTimeout", "00:00:02"))
{
    /// <summary>Past the idle timeout and the sweep after it.</summary>
    public static readonly TimeSpan PastIdleTimeout = TimeSpan.FromSeconds(3);
}

/// <summary>The managed heap is process-wide: this collection runs alone, after the parallel ones.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HeapMeasurementCollection
{
    public const string Name = "Heap measurement";
}

/// <summary>10,000 abandoned sessions are all freed by expiry; the live count and the managed heap return to baseline.</summary>
[Collection(HeapMeasurementCollection.Name)]
public sealed class AbandonedSessionsTests(AbandonApp app, ITestOutputHelper output) : IClassFixture<AbandonApp>
{
    [Fact]
    public async Task Ten_thousand_abandoned_sessions_expire_and_memory_returns_to_baseline()
    {
        var http = app.CreateClient();
        var store = app.Services.GetRequiredService<SessionStore>();
        var warmup = await http.OpenSessionAsync(); // JIT, pools and caches settle before the baseline
        await http.SendAcceptedAsync(warmup.Id, "warm");
        app.Clock.Advance(AbandonApp.PastIdleTimeout);
        await Eventually.AssertAsync(() => store.TrackedCount == 0, "the warm-up session is swept");
        long baseline = SettledHeap();

        string last = "";
        for (int i = 0; i < 10_000; i++)
        {
            var session = await http.OpenSessionAsync();
            await http.SendAcceptedAsync(session.Id, "abandoned"); // each holds a queued reply too
            last = session.Id;
        }
        long loaded = SettledHeap();

        app.Clock.Advance(AbandonApp.PastIdleTimeout);
        await Eventually.AssertAsync(() => store.OpenCount == 0 && store.TrackedCount == 0,
            "every abandoned session has expired and been removed", TimeSpan.FromSeconds(30));
        long after = SettledHeap();

        output.WriteLine($"managed heap: baseline {baseline:N0} B, with 10,000 sessions {loaded:N0} B, after expiry {after:N0} B");
        Assert.True(loaded - baseline > 1_000_000, "10,000 sessions should have been visible on the heap");
        // What stays is the store's and the metering's grown dictionaries and pools, not the sessions: a leak would keep
        // the sessions' own megabytes.
        Assert.True(after - baseline < (loaded - baseline) / 3,
            $"heap after expiry is {after - baseline:N0} B above baseline, of {loaded - baseline:N0} B the sessions took");
        await ProblemAssert.IsProblemAsync(await http.PollAsync(last, 0), HttpStatusCode.Gone);
    }

    private static long SettledHeap()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
