using System.Net;
using System.Text;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace PushCompare.E2ETests;

/// <summary>
/// The auto client through the round-robin gateway over three instances sharing Redis (a cluster of its own: the test
/// kills an instance), with the fault proxy in front of the gateway: the session survives its transport being killed
/// and replaced and an instance dying, with nothing lost or repeated either way.
/// </summary>
[Collection(ComparisonBrowserCollection.Name)]
public sealed class AutoClusterTests(BrowserFixture browser, ClusterHost cluster, ITestOutputHelper output) : IClassFixture<ClusterHost>, IAsyncLifetime
{
    private const int Published = 1000;
    private FaultProxy _proxy = null!;
    private IBrowserContext? _context;

    public Task InitializeAsync()
    {
        _proxy = new FaultProxy(cluster.BaseUrl);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (_context is not null) await _context.CloseAsync();
        await _proxy.DisposeAsync();
    }

    [Fact]
    public async Task A_thousand_published_messages_survive_transport_changes_and_an_instance_killed_behind_the_gateway()
    {
        _context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = _proxy.BaseUrl.ToString() });
        var page = await _context.NewPageAsync();
        await page.GotoAsync("/healthz");
        string topic = "auto-" + Guid.NewGuid().ToString("N")[..12];
        var run = await TransportRun.StartAsync(page, ups: 200, topic);
        // Published to an instance that stays: a publish is not idempotent, so it is never retried through a dying one.
        var publishing = PublishAsync(cluster.Instances[0], topic);
        try
        {
            await run.UntilAsync("websocket", ticks: 100);
            _proxy.Upgrades = UpgradeFault.Refuse;
            Assert.Equal(1, _proxy.Kill(Carried.WebSocket));

            await run.UntilAsync("sse", ticks: 300);
            cluster.KillInstance(1);
            output.WriteLine("killed instance 1");

            // Whatever carries it after the kill (SSE again, or long polling when an attempt met the dead instance).
            _proxy.HoldStreams = true;
            output.WriteLine($"streams killed: {_proxy.Kill(Carried.Stream)}");
            await run.UntilAsync("longpoll", ticks: 600);
            _proxy.Upgrades = UpgradeFault.None;
            _proxy.HoldStreams = false;
            await run.ProbeAsync();

            await run.UntilAsync("websocket", ticks: 800);
            await publishing;
            await run.CheckAsync(kinds: null, transports: null, pushed: Published);
        }
        finally
        {
            // Whether the page or the publisher stopped: a stall shows as ticks behind what was published.
            output.WriteLine($"published {_published}{(publishing.IsFaulted ? $", then the publisher failed: {publishing.Exception!.GetBaseException().Message}" : "")}");
            output.WriteLine(await run.StateAsync());
        }
    }

    private int _published;

    private async Task PublishAsync(Uri instance, string topic)
    {
        using var http = new HttpClient { BaseAddress = instance };
        for (int i = 1; i <= Published; i++)
        {
            using var content = new StringContent($"p{i}", Encoding.UTF8, "text/plain");
            using var response = await http.PostAsync($"/topics/{topic}", content);
            Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"publishing p{i} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            _published = i;
            await Task.Delay(10); // a steady stream, so messages are in flight at every change
        }
    }
}
