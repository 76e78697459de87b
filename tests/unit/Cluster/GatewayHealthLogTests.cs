using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using PushCompare.Hosting;
using PushCompare.UnitTests.Infrastructure;

namespace PushCompare.UnitTests.Cluster;

/// <summary>
/// What the gateway writes about its instances' health: each probe is a Debug line, each instance entering rotation an
/// Information line and leaving it a Warning, so a running cluster's output is quiet and its ready line stays in view.
/// </summary>
public sealed class GatewayHealthLogTests
{
    private const string ProbeLine = "Probed web1", InRotation = "web1 (", OutOfRotation = "is out of rotation";

    [Fact]
    public async Task Probes_are_debug_lines_and_each_change_of_rotation_is_one_line_at_information_or_warning()
    {
        await using var instance = await FakeInstance.StartAsync();
        // The same gateway twice: at its own log levels, and with its health lines at Debug.
        var quiet = new ConcurrentQueue<string>();
        var verbose = new ConcurrentQueue<string>();
        await using var quietGateway = await StartGatewayAsync(instance.Address, quiet);
        await using var verboseGateway = await StartGatewayAsync(instance.Address, verbose, "Logging:LogLevel:PushCompare.Gateway=Debug");

        await Eventually.AssertAsync(() => Count(quiet, "is in rotation") == 1 && Count(verbose, "is in rotation") == 1,
            "both gateways put the instance in rotation", TimeSpan.FromSeconds(30));
        int probed = instance.Probes;
        await Eventually.AssertAsync(() => instance.Probes >= probed + 10 && Count(verbose, ProbeLine) >= 10,
            "each gateway probed the ready instance several more times", TimeSpan.FromSeconds(30));

        instance.Ready = false;
        await Eventually.AssertAsync(() => Count(quiet, OutOfRotation) == 1 && Count(verbose, OutOfRotation) == 1,
            "both gateways take the failing instance out of rotation", TimeSpan.FromSeconds(30));
        instance.Ready = true;
        await Eventually.AssertAsync(() => Count(quiet, "is in rotation") == 2 && Count(verbose, "is in rotation") == 2,
            "both gateways put it back", TimeSpan.FromSeconds(30));

        // At the gateway's own levels: the two changes and the way back, no probe, and none of YARP's per-probe lines.
        Assert.DoesNotContain(quiet, line => line.Contains("Probed", StringComparison.Ordinal));
        Assert.DoesNotContain(quiet.Concat(verbose), line => line.Contains("Probing destination", StringComparison.Ordinal)
            || line.Contains("Active health state", StringComparison.Ordinal));
        Assert.All(Lines(quiet, "is in rotation"), line => Assert.StartsWith("info: ", line));
        Assert.All(Lines(quiet, OutOfRotation), line => Assert.StartsWith("warn: ", line));
        Assert.Contains(Lines(quiet, OutOfRotation), line => line.Contains("503 Service Unavailable", StringComparison.Ordinal));
        Assert.All(Lines(quiet, "is in rotation"), line => Assert.Contains($"{InRotation}{instance.Address}", line));
        // With Debug asked for: every probe, each a Debug line.
        Assert.All(Lines(verbose, ProbeLine), line => Assert.StartsWith("dbug: ", line));
        Assert.Contains(Lines(verbose, ProbeLine), line => line.EndsWith("/readyz: 200 OK", StringComparison.Ordinal));
        Assert.Contains(Lines(verbose, ProbeLine), line => line.EndsWith("/readyz: 503 Service Unavailable", StringComparison.Ordinal));
    }

    private static int Count(IEnumerable<string> lines, string text) => Lines(lines, text).Count();

    private static IEnumerable<string> Lines(IEnumerable<string> lines, string text) => lines.Where(line => line.Contains(text, StringComparison.Ordinal));

    private static async Task<ChildProcess> StartGatewayAsync(Uri instance, ConcurrentQueue<string> lines, params string[] more)
    {
        string gateway = DotnetApp.BuildMetadata(typeof(GatewayHealthLogTests).Assembly, "PushCompare.GatewayDll")!;
        var (child, _) = await DotnetApp.StartAsync("the gateway", gateway, [
            "Gateway:HealthCheckInterval=00:00:00.100",
            "Gateway:HealthCheckTimeout=00:00:05",
            "Gateway:FailuresBeforeRemoval=2",
            $"Gateway:Destinations:0={instance}",
            "Logging:Console:FormatterName=simple", // named, or the formatter options below are not read
            "Logging:Console:FormatterOptions:SingleLine=true", // one line per entry, its level first
            .. more,
        ], [], CancellationToken.None, onLine: lines.Enqueue);
        return child;
    }

    /// <summary>An instance reduced to its <c>/readyz</c>: 200 while <see cref="Ready"/>, else 503; counts the probes.</summary>
    private sealed class FakeInstance : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private int _probes;

        private FakeInstance(WebApplication app) => _app = app;

        public volatile bool Ready = true;

        public int Probes => Volatile.Read(ref _probes);

        public Uri Address => new(_app.Urls.Single());

        public static async Task<FakeInstance> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            var instance = new FakeInstance(app);
            app.MapGet("/readyz", () =>
            {
                Interlocked.Increment(ref instance._probes);
                return instance.Ready ? Results.Ok() : Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
            });
            await app.StartAsync();
            return instance;
        }

        public ValueTask DisposeAsync() => _app.DisposeAsync();
    }
}
