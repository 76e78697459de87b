using System.Net;
using PushCompare.UnitTests.Cluster;
using PushCompare.UnitTests.Infrastructure;
using PushCompare.UnitTests.Topics;
using Xunit.Abstractions;

namespace PushCompare.UnitTests.AnyTransport;

/// <summary>The app on Kestrel with room for the whole run's backlog.</summary>
public sealed class HopApp : AppFactory
{
    public HopApp() : base(("LongPolling:PollTimeout", "00:00:02"), ("Sessions:MaxBacklogMessages", "100000"))
    {
        StartOnKestrel();
    }
}

/// <summary>
/// 1,000 messages pushed to one session (a topic it subscribed to) while its client moves the session WebSocket → SSE →
/// long polling → WebSocket and sends a message of its own every fifth push, so sends and pushes are in flight at every
/// switch: every pushed message and every reply arrives exactly once, in order. Then the same through the round-robin
/// gateway over three instances sharing Redis, with one instance killed mid-run.
/// </summary>
public sealed class TransportHopTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_thousand_pushes_survive_three_transport_switches_exactly_once_and_in_order()
    {
        await using var app = new HopApp();
        await TransportHopRun.RunAsync(app.KestrelAddress, app.KestrelAddress, output, midRun: null);
    }
}

/// <summary>The hop run through the gateway: a cluster of its own, since it kills an instance.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterTransportHopTests(ITestOutputHelper output)
{
    [Fact]
    public async Task The_same_through_the_gateway_over_three_instances_with_one_killed_mid_run()
    {
        await using var cluster = await InstanceFailureTests.StartClusterAsync(new LocalClusterFixture());
        var victim = cluster.Instances[1];
        // Published to an instance that stays: a publish is not idempotent, so it must not be retried blind through a dying one.
        try
        {
            await TransportHopRun.RunAsync(cluster.Gateway, cluster.Instances[0].Address, output, midRun: () =>
            {
                victim.Process.Kill();
                output.WriteLine($"killed {victim.Name} mid-run");
                return Task.CompletedTask;
            });
        }
        catch
        {
            foreach (var i in cluster.Instances) output.WriteLine($"--- {i.Name}, its last output:{Environment.NewLine}{i.Process.Tail}");
            throw;
        }
    }
}

internal static class TransportHopRun
{
    private const int Pushed = 1000;

    /// <summary>The run, against <paramref name="address"/>, pushes published at <paramref name="publishTo"/>; <paramref name="midRun"/> happens between two switches.</summary>
    public static async Task RunAsync(Uri address, Uri publishTo, ITestOutputHelper output, Func<Task>? midRun)
    {
        string topic = "hop-" + Guid.NewGuid().ToString("N")[..12];
        using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        await using var hopper = new TransportHopper(address, topic, output);
        await hopper.StartAsync(cancel.Token);
        var publishing = PublishAsync(publishTo, topic, hopper.PushWindow, cancel.Token);
        var bound = TimeSpan.FromMinutes(2);
        int sent = Pushed / TransportHopper.SendEvery;
        try
        {
            await hopper.ProcessedAtLeast(300).Within("300 messages on the WebSocket", bound);
            await hopper.SwitchAsync(Hop.Sse, cancel.Token);
            await hopper.ProcessedAtLeast(450).Within("450 messages", bound);
            if (midRun is not null) await midRun();
            await hopper.ProcessedAtLeast(600).Within("600 messages", bound);
            await hopper.SwitchAsync(Hop.LongPoll, cancel.Token);
            await hopper.ProcessedAtLeast(900).Within("900 messages", bound);
            await hopper.SwitchAsync(Hop.WebSocket, cancel.Token);
            await publishing.Within("every push published", bound);
            await hopper.ProcessedAtLeast(Pushed + sent).Within("every push and every reply processed", bound);
        }
        finally
        {
            output.WriteLine(hopper.Describe()); // where it stood, whatever failed
        }

        var processed = hopper.Processed;
        output.WriteLine($"{processed.Count} processed, {hopper.Resent} resends dropped, {hopper.Recoveries} recoveries");
        Assert.Empty(hopper.Gaps);
        Assert.Equal(Enumerable.Range(1, Pushed).Select(i => $"p{i}"), processed.Where(m => m[0] == 'p'));
        Assert.Equal(Enumerable.Range(1, sent).Select(i => $"c{i}"), processed.Where(m => m[0] == 'c'));
        Assert.Equal(Pushed + sent, processed.Count);
        Assert.Equal(0, hopper.UnconfirmedCount);
    }

    // Publishes p1..p1000 in order, at most the hopper's window ahead of what it has processed.
    private static async Task PublishAsync(Uri publishTo, string topic, SemaphoreSlim window, CancellationToken cancel)
    {
        using var http = new HttpClient { BaseAddress = publishTo };
        for (int i = 1; i <= Pushed; i++)
        {
            await window.WaitAsync(cancel);
            using var response = await http.PublishAsync(topic, $"p{i}");
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }
    }
}
