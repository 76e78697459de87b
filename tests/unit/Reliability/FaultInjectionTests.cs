using PushCompare.UnitTests.Infrastructure;
using Xunit.Abstractions;

namespace PushCompare.UnitTests.Reliability;

/// <summary>Real Kestrel (so aborted polls are real TCP aborts), rate limits out of the way of 50 sessions at once.</summary>
public class FaultInjectionApp : AppFactory
{
    public FaultInjectionApp() : this([])
    {
    }

    protected FaultInjectionApp((string Key, string Value)[] more) : base([("LongPolling:PollTimeout", "00:00:02"),
        ("ServerSentEvents:HeartbeatInterval", "00:00:00.500"), ("Sessions:MaxBacklogMessages", "100000"), ("Sessions:MaxBacklogBytes", "100000000"), .. more])
    {
        StartOnKestrel();
    }

    public HttpClient CreateWireClient() => new(new SocketsHttpHandler { MaxConnectionsPerServer = 4 }) { BaseAddress = KestrelAddress };
}

/// <summary>The same, with the sessions on Redis (a redis-server of the tests' own).</summary>
public sealed class RedisFaultInjectionApp() : FaultInjectionApp([("Backplane:Redis", RedisServer.SharedAsync().GetAwaiter().GetResult().Configuration),
    ("Backplane:KeyPrefix", RedisServer.NewPrefix())]);

/// <summary>Issues 3 and 9, in memory.</summary>
public sealed class FaultInjectionTests(FaultInjectionApp app, ITestOutputHelper output) : FaultInjectionScenarios(app, output), IClassFixture<FaultInjectionApp>;

/// <summary>The same faults with the sessions on Redis.</summary>
public sealed class RedisFaultInjectionTests(RedisFaultInjectionApp app, ITestOutputHelper output) : FaultInjectionScenarios(app, output),
    IClassFixture<RedisFaultInjectionApp>;

/// <summary>
/// Issues 3 and 9: long polling and SSE lose and duplicate nothing while polls die mid-response, streams are cut
/// mid-event and sends are retried (10 % of each).
/// </summary>
public abstract class FaultInjectionScenarios(FaultInjectionApp app, ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(2);

    private static IFaultInjectingClient Client(string transport, HttpClient http, int seed) => transport switch
    {
        "longpoll" => new FaultInjectingPollClient(http, new Random(seed), repeatSendRate: 0.10, abortPollRate: 0.10),
        _ => new FaultInjectingStreamClient(http, new Random(seed), repeatSendRate: 0.10, cutStreamRate: 0.10),
    };

    [Theory]
    [InlineData("longpoll")]
    [InlineData("sse")]
    public async Task Ten_thousand_messages_through_one_session_arrive_exactly_once_in_order_despite_cut_reads_and_repeated_sends(string transport)
    {
        using var http = app.CreateWireClient();
        using var cancel = new CancellationTokenSource(Bound);

        var run = await Client(transport, http, 6455).RunAsync(10_000, cancel.Token);

        output.WriteLine($"{transport}: {run}");
        AssertExactlyOnce(run, 10_000);
    }

    [Theory]
    [InlineData("longpoll")]
    [InlineData("sse")]
    public async Task Fifty_concurrent_sessions_of_200_messages_each_arrive_exactly_once_in_order_despite_faults(string transport)
    {
        using var cancel = new CancellationTokenSource(Bound);
        var runs = await Task.WhenAll(Enumerable.Range(0, 50).Select(async i =>
        {
            using var http = app.CreateWireClient();
            return await Client(transport, http, i).RunAsync(200, cancel.Token);
        }));

        output.WriteLine($"{transport}: {FaultRun.Sum(runs)}");
        foreach (var run in runs) AssertExactlyOnce(run, 200);
    }

    /// <summary>Every message once, in order, and the injected faults really happened; <paramref name="serverFailures"/>: whether the server side may fail requests too (an instance killed behind a gateway).</summary>
    internal static void AssertExactlyOnce(FaultRun run, int messages, bool serverFailures = false)
    {
        if (!serverFailures) Assert.True(run.Failures == 0, $"the server failed requests: {run}");
        Assert.Equal(messages, run.Received);
        Assert.Equal(0, run.Duplicated);
        Assert.Equal(0, run.OutOfOrder);
        // The faults really happened: otherwise the test would prove nothing.
        Assert.True(run.ReadsCut > 0, $"no read was cut: {run}");
        Assert.True(run.SendsRepeated > 0, $"no send was repeated: {run}");
    }
}
